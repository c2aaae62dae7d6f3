/* check_emul: the instruction emulator that lets a thread pass an
 * allocator breakpoint without lifting it (src/trace/emul.c), checked
 * against the CPU itself: each form is also executed natively (inline
 * assembly) and the registers, flags and stack must agree. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "trace/emul.h"
#include "testutil.h"

#define ARITH 0x8d5ull /* CF PF AF ZF SF OF */

/* The target's memory is this process's: addresses are pointers. */
static int mem(void *ctx, uint64_t addr, void *buf, size_t n, int write)
{
	(void)ctx;
	if (write)
		memcpy((void *)(uintptr_t)addr, buf, n);
	else
		memcpy(buf, (const void *)(uintptr_t)addr, n);
	return 0;
}

START_TEST(push_of_every_register_writes_the_stack_and_moves_rsp)
{
	uint64_t stack[4] = { 0 };

	for (unsigned r = 0; r < 16; r++) {
		struct user_regs_struct g;
		uint8_t code[2];
		size_t n = 0;
		memset(&g, 0, sizeof(g));
		g.rax = 0x1000; g.rcx = 0x1001; g.rdx = 0x1002; g.rbx = 0x1003;
		g.rbp = 0x1005; g.rsi = 0x1006; g.rdi = 0x1007;
		g.r8 = 0x1008; g.r9 = 0x1009; g.r10 = 0x100a; g.r11 = 0x100b;
		g.r12 = 0x100c; g.r13 = 0x100d; g.r14 = 0x100e; g.r15 = 0x100f;
		g.rsp = (uint64_t)(uintptr_t)&stack[3];
		g.rip = 0x400000;
		if (r >= 8)
			code[n++] = 0x41;
		code[n++] = (uint8_t)(0x50 + (r & 7));
		ck_assert_int_eq(emul_step(&g, code, n, mem, NULL), 0);
		ck_assert_uint_eq(g.rip, 0x400000 + n);
		ck_assert_uint_eq(g.rsp, (uint64_t)(uintptr_t)&stack[2]);
		/* push %rsp stores the value before the push */
		ck_assert_uint_eq(stack[2], r == 4 ? (uint64_t)(uintptr_t)&stack[3] : 0x1000 + r);
	}
}
END_TEST

START_TEST(endbr64_and_mov_between_registers)
{
	struct user_regs_struct g;
	const uint8_t endbr[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	const uint8_t mov_rsi_rax[] = { 0x48, 0x89, 0xf0 };
	const uint8_t mov_r9_r12[] = { 0x4d, 0x89, 0xcc }; /* mov %r9,%r12 */

	memset(&g, 0, sizeof(g));
	g.rip = 100;
	g.eflags = 0x246;
	ck_assert_int_eq(emul_step(&g, endbr, 4, mem, NULL), 0);
	ck_assert_uint_eq(g.rip, 104);
	g.rsi = 77;
	ck_assert_int_eq(emul_step(&g, mov_rsi_rax, 3, mem, NULL), 0);
	ck_assert_uint_eq(g.rax, 77);
	ck_assert_uint_eq(g.rip, 107);
	g.r9 = 99;
	ck_assert_int_eq(emul_step(&g, mov_r9_r12, 3, mem, NULL), 0);
	ck_assert_uint_eq(g.r12, 99);
	ck_assert_uint_eq(g.eflags, 0x246); /* mov leaves the flags */
}
END_TEST

static uint64_t native_test(uint64_t v)
{
	uint64_t f;
	__asm__ volatile("test %1, %1\n\tpushfq\n\tpopq %0" : "=r"(f) : "r"(v) : "cc");
	return f & ARITH & ~0x10ull; /* AF is undefined after test */
}

START_TEST(test_rdi_rdi_sets_the_flags_the_cpu_sets)
{
	const uint8_t code[] = { 0x48, 0x85, 0xff };
	const uint64_t vals[] = { 0, 1, 3, 0x80, 0xff, 0x8000000000000000ull, UINT64_MAX, 0x7f00 };

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct user_regs_struct g;
		memset(&g, 0, sizeof(g));
		g.rdi = vals[i];
		g.eflags = 0x202 | ARITH;
		ck_assert_int_eq(emul_step(&g, code, 3, mem, NULL), 0);
		ck_assert_msg((g.eflags & ARITH & ~0x10ull) == native_test(vals[i]),
			      "test of %#llx: %#llx, cpu %#llx", (unsigned long long)vals[i],
			      (unsigned long long)(g.eflags & ARITH), (unsigned long long)native_test(vals[i]));
		ck_assert_uint_eq(g.eflags & 0x202, 0x202); /* other bits kept */
	}
}
END_TEST

static uint8_t cell;

static uint64_t native_cmpb(uint8_t imm)
{
	uint64_t f;
	/* the immediate must be a constant: compare through a register copy */
	uint8_t m = cell;
	__asm__ volatile("cmpb %b2, %b1\n\tpushfq\n\tpopq %0" : "=r"(f) : "r"(m), "r"(imm) : "cc");
	return f & ARITH;
}

START_TEST(cmpb_imm_rip_relative_reads_the_byte_and_sets_the_flags_the_cpu_sets)
{
	/* the instruction sits at `at`; its displacement reaches `cell` */
	uint8_t code[7] = { 0x80, 0x3d, 0, 0, 0, 0, 0 };
	const uint8_t vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0x10, 0x0f };

	for (size_t i = 0; i < sizeof(vals); i++)
		for (size_t k = 0; k < sizeof(vals); k++) {
			struct user_regs_struct g;
			uint64_t at = (uint64_t)(uintptr_t)&cell - 0x1000;
			int32_t disp = (int32_t)((uint64_t)(uintptr_t)&cell - (at + 7));
			memcpy(code + 2, &disp, 4);
			code[6] = vals[k];
			cell = vals[i];
			memset(&g, 0, sizeof(g));
			g.rip = at;
			ck_assert_int_eq(emul_step(&g, code, 7, mem, NULL), 0);
			ck_assert_uint_eq(g.rip, at + 7);
			ck_assert_msg((g.eflags & ARITH) == native_cmpb(vals[k]),
				      "cmpb $%#x vs %#x: %#llx, cpu %#llx", vals[k], vals[i],
				      (unsigned long long)(g.eflags & ARITH), (unsigned long long)native_cmpb(vals[k]));
		}
}
END_TEST

START_TEST(unknown_instructions_are_refused_and_leave_the_registers)
{
	const uint8_t call[] = { 0xe8, 0, 0, 0, 0 };        /* call rel32 */
	const uint8_t sub[] = { 0x48, 0x83, 0xec, 0x08 };    /* sub $8,%rsp */
	const uint8_t movmem[] = { 0x48, 0x89, 0x07 };       /* mov %rax,(%rdi) */
	const uint8_t push_w[] = { 0x48, 0x55 };             /* REX.W push: refused */
	struct user_regs_struct g, before;

	memset(&g, 0, sizeof(g));
	g.rip = 5;
	g.rsp = 4096;
	before = g;
	ck_assert_int_eq(emul_step(&g, call, sizeof(call), mem, NULL), -1);
	ck_assert_int_eq(emul_step(&g, sub, sizeof(sub), mem, NULL), -1);
	ck_assert_int_eq(emul_step(&g, movmem, sizeof(movmem), mem, NULL), -1);
	ck_assert_int_eq(emul_step(&g, push_w, sizeof(push_w), mem, NULL), -1);
	ck_assert_int_eq(emul_step(&g, call, 0, mem, NULL), -1);
	ck_assert_mem_eq(&g, &before, sizeof(g));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("emul");
	TCase *tc = tcase_create("emul");

	tcase_add_test(tc, push_of_every_register_writes_the_stack_and_moves_rsp);
	tcase_add_test(tc, endbr64_and_mov_between_registers);
	tcase_add_test(tc, test_rdi_rdi_sets_the_flags_the_cpu_sets);
	tcase_add_test(tc, cmpb_imm_rip_relative_reads_the_byte_and_sets_the_flags_the_cpu_sets);
	tcase_add_test(tc, unknown_instructions_are_refused_and_leave_the_registers);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
