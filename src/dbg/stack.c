/* stack: unwinding a stopped thread with libdwfl from registers the caller
 * hands in (no ptrace here: memory comes through dbg_read), each frame's
 * CFA from the CFI, and the parameters and locals of the program's own
 * frames, resolved once per pc and cached. */
#include "dbg/dbg_int.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_NODEBUG "no debug info: locals unavailable"
#define NOTE_OPT "optimized build: some locals unavailable"

/* ---- thread callbacks: one thread, registers given, memory via dbg_read */

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **targ)
{
	struct dbg *h = arg;
	(void)dwfl;
	if (*targ)
		return 0;
	*targ = h;
	return h->cur_tid;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **targ)
{
	struct dbg *h = arg;
	(void)dwfl;
	*targ = h;
	return tid == h->cur_tid;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *res, void *arg)
{
	(void)dwfl;
	return dbg_read(arg, addr, res, sizeof(*res)) == 0;
}

static bool cb_set_initial(Dwfl_Thread *t, void *targ)
{
	const struct user_regs_struct *r = ((struct dbg *)targ)->cur_regs;
	/* DWARF register numbers of x86-64: rax rdx rcx rbx rsi rdi rbp rsp
	 * r8..r15 rip. */
	Dwarf_Word w[17] = { r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp,
			     r->rsp, r->r8, r->r9, r->r10, r->r11, r->r12, r->r13,
			     r->r14, r->r15, r->rip };

	dwfl_thread_state_register_pc(t, r->rip);
	return dwfl_thread_state_registers(t, 0, 17, w);
}

static const Dwfl_Thread_Callbacks thread_cb = {
	.next_thread = cb_next_thread,
	.get_thread = cb_get_thread,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_initial,
};

/* ---- CFA and register values -------------------------------------------- */

static bool frame_reg(Dwfl_Frame *fr, unsigned reg, uint64_t *v)
{
	Dwarf_Word w;
	if (dwfl_frame_reg(fr, reg, &w) != 0)
		return false;
	*v = w;
	return true;
}

static bool frame_cfa(Dwfl_Frame *fr, Dwfl_Module *mod, uint64_t pc, uint64_t *cfa)
{
	Dwarf_Addr bias;
	Dwarf_CFI *cfi;
	Dwarf_Frame *f = NULL;
	Dwarf_Op *ops;
	size_t nops;
	bool ok = false;

	for (int pass = 0; pass < 2 && !ok; pass++) {
		cfi = pass ? dwfl_module_dwarf_cfi(mod, &bias) : dwfl_module_eh_cfi(mod, &bias);
		if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &f) != 0)
			continue;
		if (dwarf_frame_cfa(f, &ops, &nops) == 0 && nops == 1 &&
		    (ops[0].atom == DW_OP_bregx ||
		     (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31))) {
			unsigned reg = ops[0].atom == DW_OP_bregx ? (unsigned)ops[0].number
								  : (unsigned)(ops[0].atom - DW_OP_breg0);
			int64_t off = ops[0].atom == DW_OP_bregx ? (int64_t)ops[0].number2
								 : (int64_t)ops[0].number;
			uint64_t v;
			if (frame_reg(fr, reg, &v)) {
				*cfa = v + (uint64_t)off;
				ok = true;
			}
		}
		free(f);
		f = NULL;
	}
	return ok;
}

/* ---- variables at a pc (cached) ------------------------------------------ */

static bool producer_optimized(Dwarf_Die *cu)
{
	Dwarf_Attribute a;
	const char *p = dwarf_formstring(dwarf_attr(cu, DW_AT_producer, &a));
	const char *o;

	for (o = p ? strstr(p, " -O") : NULL; o; o = strstr(o + 1, " -O"))
		if (o[3] != '0')
			return true;
	return false;
}

static void add_var(struct dbg *h, struct dbg_pcvars *pv, size_t *cap,
		    Dwarf_Die *d, uint64_t mpc)
{
	Dwarf_Attribute a;
	struct dbg_var *v;

	if (dwarf_hasattr(d, DW_AT_external) && !dwarf_hasattr(d, DW_AT_location))
		return; /* an extern declaration inside a function */
	if (pv->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		struct dbg_var *nv = realloc(pv->vars, nc * sizeof(*nv));
		if (!nv)
			return;
		pv->vars = nv;
		*cap = nc;
	}
	v = &pv->vars[pv->n++];
	memset(v, 0, sizeof(*v));
	v->name = dbg_intern(h, dwarf_diename(d) ? dwarf_diename(d) : "?");
	v->param = dwarf_tag(d) == DW_TAG_formal_parameter;
	if (dwarf_formref_die(dwarf_attr(d, DW_AT_type, &a), &v->type_die)) {
		Dwarf_Word sz = 0;
		v->has_type = true;
		v->type = dbg_type_name(h, &v->type_die);
		if (dwarf_aggregate_size(&v->type_die, &sz) == 0)
			v->size = sz;
	} else {
		v->type = dbg_intern(h, "?");
	}
	if (dwarf_attr(d, DW_AT_location, &a) &&
	    dwarf_getlocation_addr(&a, mpc, &v->expr, &v->nexpr, 1) != 1)
		v->expr = NULL, v->nexpr = 0;
}

/* Collects parameters and locals of the scopes holding mpc, innermost
 * scope first, up to and including the function. */
static bool collect(struct dbg *h, struct dbg_pcvars *pv, Dwarf_Die *cu, uint64_t mpc)
{
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes(cu, mpc, &scopes);
	size_t cap = 0;
	bool fn = false;

	for (int i = 0; i < n; i++) {
		int tag = dwarf_tag(&scopes[i]);
		Dwarf_Die c;
		if (dwarf_child(&scopes[i], &c) == 0) {
			do {
				int ct = dwarf_tag(&c);
				if (ct == DW_TAG_formal_parameter || ct == DW_TAG_variable)
					add_var(h, pv, &cap, &c, mpc);
			} while (dwarf_siblingof(&c, &c) == 0);
		}
		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
			Dwarf_Attribute a;
			if (tag == DW_TAG_subprogram &&
			    dwarf_attr(&scopes[i], DW_AT_frame_base, &a) &&
			    dwarf_getlocation_addr(&a, mpc, &pv->fb, &pv->nfb, 1) != 1)
				pv->fb = NULL, pv->nfb = 0;
			fn = true;
			break;
		}
	}
	free(scopes);
	/* Parameters first, in declaration order, then locals outer to inner. */
	size_t k = 0;
	for (size_t i = 0; i < pv->n; i++)
		if (pv->vars[i].param) {
			struct dbg_var t = pv->vars[i];
			memmove(&pv->vars[k + 1], &pv->vars[k], (i - k) * sizeof(t));
			pv->vars[k++] = t;
		}
	return fn;
}

static struct dbg_pcvars *pcvars(struct dbg *h, Dwfl_Module *mod, uint64_t pc)
{
	size_t i;

	if (2 * (h->npcv + 1) > h->npcv_cap) {
		size_t nc = h->npcv_cap ? 2 * h->npcv_cap : 256;
		struct dbg_pcvars *n = calloc(nc, sizeof(*n));
		if (!n)
			return NULL;
		for (size_t k = 0; k < h->npcv_cap; k++) {
			if (!h->pcv[k].pc)
				continue;
			i = (h->pcv[k].pc * 0x9e3779b97f4a7c15ull >> 20) & (nc - 1);
			while (n[i].pc)
				i = (i + 1) & (nc - 1);
			n[i] = h->pcv[k];
		}
		free(h->pcv);
		h->pcv = n;
		h->npcv_cap = nc;
	}
	i = (pc * 0x9e3779b97f4a7c15ull >> 20) & (h->npcv_cap - 1);
	while (h->pcv[i].pc && h->pcv[i].pc != pc)
		i = (i + 1) & (h->npcv_cap - 1);
	if (!h->pcv[i].pc) {
		struct dbg_pcvars *pv = &h->pcv[i];
		Dwarf_Addr bias = 0;
		Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, &bias);
		pv->pc = pc;
		pv->bias = bias;
		h->npcv++;
		if (!cu || !collect(h, pv, cu, pc - bias))
			pv->note = NOTE_NODEBUG; /* e.g. _start: no function DIE */
		else if (producer_optimized(cu))
			pv->note = NOTE_OPT;
	}
	return &h->pcv[i];
}

/* ---- locals of one frame ------------------------------------------------- */

/* Where a variable is: in memory, or only a value (a register, a constant
 * the compiler knows). */
struct loc {
	enum { LOC_NONE, LOC_MEM, LOC_VALUE, LOC_BYTES } kind;
	uint64_t v;               /* MEM: address; VALUE: the value */
	const void *bytes;        /* BYTES: DW_OP_implicit_value */
	size_t n;
};

struct evalctx {
	Dwfl_Frame *fr;
	uint64_t cfa, fb, bias;
	bool have_cfa, have_fb;
};

/* A small DWARF expression machine for what compilers emit for locals:
 * addresses (fbreg, bregN, addr, call_frame_cfa, arithmetic), a register
 * alone, constants and register arithmetic with stack_value, implicit
 * values.  Anything else (entry values, pieces) is "optimized out". */
static struct loc eval(const struct evalctx *c, const Dwarf_Op *op, size_t n)
{
	struct loc l = { LOC_NONE, 0, NULL, 0 };
	uint64_t st[16], r;
	size_t sp = 0;

	if (n == 1 && ((op->atom >= DW_OP_reg0 && op->atom <= DW_OP_reg31) ||
		       op->atom == DW_OP_regx)) {
		unsigned reg = op->atom == DW_OP_regx ? (unsigned)op->number
						      : (unsigned)(op->atom - DW_OP_reg0);
		if (frame_reg(c->fr, reg, &r))
			l.kind = LOC_VALUE, l.v = r;
		return l;
	}
	if (n == 1 && op->atom == DW_OP_implicit_value) {
		l.kind = LOC_BYTES;
		l.bytes = (const void *)(uintptr_t)op->number2;
		l.n = op->number;
		return l;
	}
	for (size_t i = 0; i < n; i++, op++) {
		uint8_t a = op->atom;
		if (sp == 16)
			return l;
		if (a >= DW_OP_lit0 && a <= DW_OP_lit31)
			st[sp++] = a - DW_OP_lit0;
		else if (a == DW_OP_addr)
			st[sp++] = op->number + c->bias;
		else if ((a >= DW_OP_const1u && a <= DW_OP_consts))
			st[sp++] = op->number;
		else if (a == DW_OP_call_frame_cfa && c->have_cfa)
			st[sp++] = c->cfa;
		else if (a == DW_OP_fbreg && c->have_fb)
			st[sp++] = c->fb + op->number;
		else if (a >= DW_OP_breg0 && a <= DW_OP_breg31 &&
			 frame_reg(c->fr, a - DW_OP_breg0, &r))
			st[sp++] = r + op->number;
		else if (a == DW_OP_bregx && frame_reg(c->fr, (unsigned)op->number, &r))
			st[sp++] = r + op->number2;
		else if (a == DW_OP_plus_uconst && sp >= 1)
			st[sp - 1] += op->number;
		else if ((a == DW_OP_plus || a == DW_OP_minus) && sp >= 2) {
			sp--;
			st[sp - 1] = a == DW_OP_plus ? st[sp - 1] + st[sp] : st[sp - 1] - st[sp];
		} else if (a == DW_OP_stack_value && sp >= 1 && i + 1 == n) {
			l.kind = LOC_VALUE;
			l.v = st[sp - 1];
			return l;
		} else
			return l;
	}
	if (sp >= 1)
		l.kind = LOC_MEM, l.v = st[sp - 1];
	return l;
}

static void frame_locals(struct dbg *h, Dwfl_Frame *fr, struct dbg_pcvars *pv,
			 struct dbg_frame *f, bool have_cfa)
{
	struct evalctx c = { fr, f->cfa, 0, pv->bias, have_cfa, false };

	if (pv->fb) {
		struct loc fb = eval(&c, pv->fb, pv->nfb);
		/* DW_OP_regN as a frame base means "the value of that register". */
		if (fb.kind == LOC_MEM || fb.kind == LOC_VALUE)
			c.fb = fb.v, c.have_fb = true;
	}
	f->locals = calloc(pv->n ? pv->n : 1, sizeof(*f->locals));
	if (!f->locals)
		return;
	for (size_t i = 0; i < pv->n; i++) {
		const struct dbg_var *v = &pv->vars[i];
		struct dbg_local *l = &f->locals[f->nlocals++];
		Dwarf_Die td = v->type_die, st;
		struct loc where = { LOC_NONE, 0, NULL, 0 };
		bool ok = false;

		l->name = v->name;
		l->type = v->type;
		l->size = v->size;
		l->param = v->param;
		if (v->expr && v->has_type)
			where = eval(&c, v->expr, v->nexpr);
		switch (where.kind) {
		case LOC_NONE:
			snprintf(l->value, sizeof(l->value), "<optimized out>");
			continue;
		case LOC_MEM:
			l->addr = where.v;
			ok = dbg_format_value(h, &td, where.v, l->value, sizeof(l->value));
			if (ok && v->size == 8)
				dbg_read(h, where.v, &l->ptr, sizeof(l->ptr));
			break;
		case LOC_VALUE:
			l->ptr = where.v;
			dbg_format_bytes(h, &td, &where.v, v->size < 8 ? v->size : 8,
					 l->value, sizeof(l->value));
			ok = true;
			break;
		case LOC_BYTES:
			dbg_format_bytes(h, &td, where.bytes, where.n, l->value, sizeof(l->value));
			if (where.n == 8)
				memcpy(&l->ptr, where.bytes, 8);
			ok = true;
			break;
		}
		if (!ok) {
			snprintf(l->value, sizeof(l->value), "<unreadable>");
			continue;
		}
		l->available = true;
		l->is_ptr = dbg_strip_type(&td, &st) && dwarf_tag(&st) == DW_TAG_pointer_type;
	}
}

/* ---- the walk ------------------------------------------------------------ */

struct walk {
	struct dbg *h;
	unsigned flags;
	size_t max, cap;
	struct dbg_stack *st;
};

static int frame_cb(Dwfl_Frame *fr, void *arg)
{
	struct walk *w = arg;
	struct dbg *h = w->h;
	struct dbg_frame *f;
	struct model_site s;
	Dwarf_Addr pc;
	bool act = false;
	uint64_t look;
	Dwfl_Module *mod;

	if (!dwfl_frame_pc(fr, &pc, &act))
		return DWARF_CB_ABORT;
	if (w->st->n == w->max) {
		w->st->truncated = true;
		return DWARF_CB_ABORT;
	}
	if (w->st->n == w->cap) {
		size_t nc = w->cap ? 2 * w->cap : 32;
		struct dbg_frame *nf = realloc(w->st->frames, nc * sizeof(*nf));
		if (!nf)
			return DWARF_CB_ABORT;
		w->st->frames = nf;
		w->cap = nc;
	}
	f = &w->st->frames[w->st->n++];
	memset(f, 0, sizeof(*f));
	f->pc = pc;
	look = act ? pc : pc - 1;
	if (act)
		dbg_symbolize_pc(h, pc, &s);
	else
		dbg_symbolize(h, pc, &s);
	f->func = s.func;
	f->file = s.file;
	f->line = s.line;
	f->object = s.object;
	frame_reg(fr, 7, &f->sp);
	mod = dwfl_addrmodule(h->dwfl, look);
	bool have_cfa = mod && frame_cfa(fr, mod, look, &f->cfa);
	f->own = mod && mod == h->main_mod && !dbg_system_file(s.file);
	if (f->own && (w->flags & DBG_LOCALS)) {
		struct dbg_pcvars *pv = pcvars(h, mod, look);
		if (pv) {
			f->note = pv->note;
			if (pv->vars)
				frame_locals(h, fr, pv, f, have_cfa);
		}
	} else if (f->own && !dwfl_module_addrdie(mod, look, &(Dwarf_Addr){ 0 })) {
		f->note = NOTE_NODEBUG;
	}
	/* A leaf function may keep its locals in the red zone below sp. */
	for (size_t i = 0; i < f->nlocals; i++)
		if (f->locals[i].addr && f->locals[i].addr < f->sp &&
		    f->sp - f->locals[i].addr <= 128)
			f->sp = f->locals[i].addr;
	if (have_cfa && f->cfa >= f->sp)
		f->size = f->cfa - f->sp;
	return DWARF_CB_OK;
}

int dbg_stack(struct dbg *h, pid_t tid, const struct user_regs_struct *regs,
	      unsigned flags, size_t max_frames, struct dbg_stack *out,
	      struct err *e)
{
	struct walk w = { h, flags, max_frames ? max_frames : 1024, 0, out };

	memset(out, 0, sizeof(*out));
	if (!h->pid && !h->read)
		return err_set(e, ERR_INTERNAL, "debug info: no process to unwind");
	if (!h->attached) {
		if (!dwfl_attach_state(h->dwfl, NULL, h->pid ? h->pid : tid, &thread_cb, h))
			return err_set(e, ERR_INTERNAL, "debug info: %s", dwfl_errmsg(-1));
		h->attached = true;
	}
	h->cur_tid = tid;
	h->cur_regs = regs;
	/* An error at the end of the chain is the usual end of a backtrace. */
	dbg_pages(h, true);
	dwfl_getthread_frames(h->dwfl, tid, frame_cb, &w);
	dbg_pages(h, false);
	h->cur_regs = NULL;
	if (out->n == 0)
		return err_set(e, ERR_INTERNAL, "debug info: cannot unwind thread %d: %s",
			       (int)tid, dwfl_errmsg(-1));
	return 0;
}

void dbg_stack_free(struct dbg_stack *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		free(st->frames[i].locals);
	free(st->frames);
	memset(st, 0, sizeof(*st));
}
