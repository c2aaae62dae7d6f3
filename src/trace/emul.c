/* emul: the handful of instruction forms the malloc family's functions
 * begin with in glibc's static builds (see emul.h).  Anything else is
 * refused, and the caller single-steps as before. */
#include "trace/emul.h"

#include <stdbool.h>

/* The general registers in the encoding's order (rax = 0 ... r15 = 15). */
static unsigned long long *reg(struct user_regs_struct *r, unsigned i)
{
	switch (i) {
	case 0: return &r->rax;
	case 1: return &r->rcx;
	case 2: return &r->rdx;
	case 3: return &r->rbx;
	case 4: return &r->rsp;
	case 5: return &r->rbp;
	case 6: return &r->rsi;
	case 7: return &r->rdi;
	case 8: return &r->r8;
	case 9: return &r->r9;
	case 10: return &r->r10;
	case 11: return &r->r11;
	case 12: return &r->r12;
	case 13: return &r->r13;
	case 14: return &r->r14;
	default: return &r->r15;
	}
}

enum { CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7, OF = 1u << 11 };
#define ARITH_FLAGS (CF | PF | AF | ZF | SF | OF)

static unsigned parity(uint8_t b)
{
	return (__builtin_popcount(b) & 1) ? 0 : PF; /* PF: an even number of ones */
}

static void set_flags(struct user_regs_struct *r, unsigned f)
{
	r->eflags = (r->eflags & ~(unsigned long long)ARITH_FLAGS) | f;
}

int emul_step(struct user_regs_struct *r, const uint8_t *c, size_t n, emul_mem_fn mem, void *ctx)
{
	unsigned rex = 0;
	size_t i = 0;

	if (n >= 4 && c[0] == 0xf3 && c[1] == 0x0f && c[2] == 0x1e && c[3] == 0xfa) {
		r->rip += 4; /* endbr64: a no-op for the tracer's purposes */
		return 0;
	}
	if (n > 0 && (c[0] & 0xf0) == 0x40)
		rex = c[i++];
	if (i >= n)
		return -1;
	/* push r64: 50+r, with REX.B for r8-r15 */
	if ((c[i] & 0xf8) == 0x50 && !(rex & 0x08)) {
		uint64_t v = *reg(r, (c[i] & 7u) | ((rex & 1u) << 3));
		if (mem(ctx, r->rsp - 8, &v, 8, 1) != 0)
			return -1;
		r->rsp -= 8;
		r->rip += i + 1;
		return 0;
	}
	/* mov r/m64, r64 and test r/m64, r64 between registers (REX.W, mod 11) */
	if ((rex & 0x08) && i + 1 < n && (c[i] == 0x89 || c[i] == 0x85) && (c[i + 1] & 0xc0) == 0xc0) {
		unsigned src = ((c[i + 1] >> 3) & 7u) | ((rex & 4u) << 1);
		unsigned dst = (c[i + 1] & 7u) | ((rex & 1u) << 3);
		uint64_t a = *reg(r, dst), b = *reg(r, src);
		if (c[i] == 0x89) {
			*reg(r, dst) = b;
		} else {
			uint64_t v = a & b;
			set_flags(r, (v ? 0 : ZF) | ((v >> 63) ? SF : 0) | parity((uint8_t)v));
		}
		r->rip += i + 2;
		return 0;
	}
	/* cmpb $imm8, disp32(%rip): 80 /7 with mod 00, rm 101 */
	if (!rex && n >= 7 && c[0] == 0x80 && c[1] == 0x3d) {
		int32_t disp = (int32_t)((uint32_t)c[2] | (uint32_t)c[3] << 8 | (uint32_t)c[4] << 16 |
					 (uint32_t)c[5] << 24);
		uint8_t m, imm = c[6], res;
		uint64_t next = r->rip + 7;
		if (mem(ctx, next + (uint64_t)(int64_t)disp, &m, 1, 0) != 0)
			return -1;
		res = (uint8_t)(m - imm);
		set_flags(r, (m < imm ? CF : 0) | (res ? 0 : ZF) | ((res & 0x80) ? SF : 0) |
			     parity(res) | (((m ^ imm ^ res) & 0x10) ? AF : 0) |
			     (((m ^ imm) & (m ^ res) & 0x80) ? OF : 0));
		r->rip = next;
		return 0;
	}
	return -1;
}
