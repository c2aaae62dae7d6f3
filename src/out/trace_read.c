/* trace_read: reads a JSON Lines trace file back into model events, the
 * inverse of json_write.c.  Every field is checked for its type and range;
 * the first problem ends the read with "FILE:LINE: what is wrong". */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "out/jparse.h"
#include "out/out.h"
#include "out/out_int.h"

#define MAX_LINE (64u << 20)

struct rd {
	struct jdoc d;
	const char *name;
	size_t line;
	struct err *e;
	struct model *m;
	uint32_t obj;        /* the line's object */
	int version;         /* of the file, from its start line */
	bool teach;          /* its options say "alloc":"teach" (out_implied_flags) */
	uint64_t last_sp, last_depth, last_brk; /* carried forward (version 2) */
	/* trace --bytes: what the line holds beside its event, alive until
	 * the next line (the line and event callbacks both see it) */
	struct out_line_extra x;
	unsigned char bytes[OUT_BYTES_MAX];
};

static int bad(struct rd *r, const char *fmt, const char *what)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, what);
	return err_set(r->e, ERR_INPUT, "%s:%zu: %s", r->name, r->line, msg);
}

/* Reads member `key` of `obj` as an integer in [lo, hi] (signed when lo <
 * 0).  Absent: *out = 0 and an error only when `required`. */
static int get_int(struct rd *r, uint32_t obj, const char *key, bool required,
		   int64_t lo, uint64_t hi, uint64_t *out)
{
	uint32_t v = jobj_get(&r->d, obj, key);
	const struct jval *x;

	*out = 0;
	if (v == JNONE || r->d.v[v].type == JT_NULL)
		return required ? bad(r, "missing \"%s\"", key) : 0;
	x = &r->d.v[v];
	if (x->type != JT_INT)
		return bad(r, "\"%s\" must be an integer", key);
	if (x->neg && x->u) {
		if (lo >= 0 || x->u > (uint64_t)-(lo + 1) + 1)
			return bad(r, "\"%s\" is out of range", key);
		*out = (uint64_t)0 - x->u; /* two's complement: the caller casts */
		return 0;
	}
	if (x->u > hi)
		return bad(r, "\"%s\" is out of range", key);
	*out = x->u;
	return 0;
}

static int get_u64(struct rd *r, uint32_t obj, const char *key, bool req, uint64_t *out)
{
	return get_int(r, obj, key, req, 0, UINT64_MAX, out);
}

/* Member `key` of the line (at most hi), or `dflt` when it is absent. */
static int get_u64_or(struct rd *r, const char *key, uint64_t hi, uint64_t dflt, uint64_t *out)
{
	if (jobj_get(&r->d, r->obj, key) == JNONE) {
		*out = dflt;
		return 0;
	}
	return get_int(r, r->obj, key, false, 0, hi, out);
}

/* Member `key` as a string, or NULL (error when present but not one). */
static int get_str(struct rd *r, uint32_t obj, const char *key, bool required, const char **out)
{
	uint32_t v = jobj_get(&r->d, obj, key);

	*out = NULL;
	if (v == JNONE || r->d.v[v].type == JT_NULL)
		return required ? bad(r, "missing \"%s\"", key) : 0;
	if (r->d.v[v].type != JT_STR)
		return bad(r, "\"%s\" must be a string", key);
	*out = jstr(&r->d, v);
	return 0;
}

/* `sp`, `stack_depth` or `brk`: since version 2 an absent one repeats
 * the previous event line's (json_write.c's carried_fields). */
static int get_carried(struct rd *r, const char *key, uint64_t *last, uint64_t *out)
{
	if (r->version >= 2 && jobj_get(&r->d, r->obj, key) == JNONE) {
		*out = *last;
		return 0;
	}
	if (get_u64(r, r->obj, key, false, out) < 0)
		return -1;
	*last = *out;
	return 0;
}

/* `flags`: since version 3 an absent one is what the trace implies
 * (out_implied_flags: RING_F_TEACH on a teach trace's allocator calls),
 * else 0. */
static int get_flags(struct rd *r, enum model_ev_type t, uint64_t *flags)
{
	return get_u64_or(r, "flags", UINT16_MAX,
			  r->version >= 3 ? out_implied_flags((uint16_t)t, r->teach) : 0, flags);
}

/* `block`, `block_size`, `old_block`: since version 3 an absent one is
 * what the teach layout implies (out_teach_implied), else 0.  Needs the
 * line's type, arguments and result, read before. */
static int get_teach_facts(struct rd *r, struct model_event *ev, uint16_t flags)
{
	struct out_teach_implied im = { 0, 0, 0 };
	uint64_t freed = 0;

	ev->flags = flags;
	if (r->version >= 3 && ev->type == MEV_FREE && (flags & RING_F_TEACH))
		freed = model_block_span(r->m, ev->args[0]); /* before the free */
	if (r->version >= 3)
		im = out_teach_implied(ev, 0, freed);
	if (get_u64_or(r, "block", UINT64_MAX, im.block, &ev->block) < 0)
		return -1;
	if (r->version >= 3)
		im = out_teach_implied(ev, ev->block, freed);
	return get_u64_or(r, "block_size", UINT64_MAX, im.block_size, &ev->block_size) < 0 ||
	       get_u64_or(r, "old_block", UINT64_MAX, im.old_block, &ev->old_block) < 0 ? -1 : 0;
}

static int read_site(struct rd *r, struct model_event *ev)
{
	uint32_t o = jobj_get(&r->d, r->obj, "site");
	struct model_site s = { 0 };
	uint64_t line;

	if (o == JNONE)
		return 0;
	if (r->d.v[o].type != JT_OBJ)
		return bad(r, "\"%s\" must be an object", "site");
	if (get_u64(r, o, "addr", false, &s.addr) < 0 || get_u64(r, o, "func_off", false, &s.func_off) < 0 ||
	    get_int(r, o, "line", false, 0, INT32_MAX, &line) < 0 || get_str(r, o, "func", false, &s.func) < 0 ||
	    get_str(r, o, "file", false, &s.file) < 0 || get_str(r, o, "object", false, &s.object) < 0)
		return -1;
	s.line = (int)line;
	ev->site = model_site_intern(r->m, &s);
	return 0;
}

static int read_regions(struct rd *r, struct model_event *ev)
{
	uint32_t a = jobj_get(&r->d, r->obj, "regions");
	struct model_region *reg;
	size_t n = 0;

	if (a == JNONE || r->d.v[a].type != JT_ARR)
		return bad(r, "a regions event needs a \"%s\" array", "regions");
	reg = calloc(r->d.v[a].u ? r->d.v[a].u : 1, sizeof(*reg));
	if (!reg)
		return err_set(r->e, ERR_INTERNAL, "out of memory");
	for (uint32_t c = r->d.v[a].first; c != JNONE; c = r->d.v[c].next, n++) {
		const char *kind, *perms, *name;
		if (r->d.v[c].type != JT_OBJ ||
		    get_u64(r, c, "start", true, &reg[n].start) < 0 || get_u64(r, c, "end", true, &reg[n].end) < 0 ||
		    get_str(r, c, "kind", true, &kind) < 0 || get_str(r, c, "perms", false, &perms) < 0 ||
		    get_str(r, c, "name", false, &name) < 0) {
			free(reg);
			return r->e->msg[0] ? -1 : bad(r, "a region must be an %s", "object");
		}
		reg[n].kind = MR_OTHER;
		for (int k = 1; k < MR_KIND_MAX; k++)
			if (strcmp(kind, model_region_kind_name(k)) == 0)
				reg[n].kind = (uint8_t)k;
		snprintf(reg[n].perms, sizeof(reg[n].perms), "%s", perms ? perms : "");
		snprintf(reg[n].name, sizeof(reg[n].name), "%s", name ? name : "");
	}
	ev->aux = model_regions_add(r->m, reg, n);
	free(reg);
	return 0;
}

static int read_args(struct rd *r, struct model_event *ev)
{
	uint32_t o = r->obj;
	uint64_t *a = ev->args;
	bool res = true;

	switch (ev->type) {
	case MEV_MALLOC: case MEV_VALLOC: case MEV_PVALLOC:
		return get_u64(r, o, "size", true, &a[0]) < 0 || get_u64(r, o, "result", true, &ev->result) < 0 ? -1 : 0;
	case MEV_CALLOC:
		if (get_u64(r, o, "nmemb", true, &a[0]) < 0 || get_u64(r, o, "size", true, &a[1]) < 0)
			return -1;
		break;
	case MEV_REALLOC:
		if (get_u64(r, o, "ptr", true, &a[0]) < 0 || get_u64(r, o, "size", true, &a[1]) < 0)
			return -1;
		break;
	case MEV_REALLOCARRAY:
		if (get_u64(r, o, "ptr", true, &a[0]) < 0 || get_u64(r, o, "nmemb", true, &a[1]) < 0 ||
		    get_u64(r, o, "size", true, &a[2]) < 0)
			return -1;
		break;
	case MEV_FREE:
		return get_u64(r, o, "ptr", true, &a[0]);
	case MEV_POSIX_MEMALIGN: case MEV_ALIGNED_ALLOC: case MEV_MEMALIGN:
		if (get_u64(r, o, "alignment", true, &a[0]) < 0 || get_u64(r, o, "size", true, &a[1]) < 0)
			return -1;
		break;
	default: {
		uint32_t v = jobj_get(&r->d, o, "args"), i = 0;
		res = false;
		if (v == JNONE)
			break;
		if (r->d.v[v].type != JT_ARR || r->d.v[v].u > 3)
			return bad(r, "\"%s\" must be an array of at most 3 integers", "args");
		for (uint32_t c = r->d.v[v].first; c != JNONE; c = r->d.v[c].next) {
			if (r->d.v[c].type != JT_INT || r->d.v[c].neg)
				return bad(r, "\"%s\" must be an array of at most 3 integers", "args");
			a[i++] = r->d.v[c].u;
		}
	}
	}
	return get_u64(r, o, "result", res, &ev->result);
}

static int read_kind(struct rd *r, struct model_event *ev)
{
	const char *s;
	uint64_t v;

	switch (ev->type) {
	case MEV_ERROR:
		if (get_str(r, r->obj, "kind", true, &s) < 0)
			return -1;
		if (!(ev->error = out_error_parse(s)) && strcmp(s, "unknown") != 0)
			return bad(r, "unknown error kind \"%s\"", s);
		if (get_str(r, r->obj, "call", false, &s) < 0 || get_u64(r, r->obj, "ptr", false, &ev->args[1]) < 0)
			return -1;
		ev->args[0] = s ? (uint64_t)model_ev_parse(s) : 0;
		return 0;
	case MEV_REGIONS:
		return read_regions(r, ev);
	case MEV_CALL: case MEV_RETURN: case MEV_LINE:
		/* --step stops: "frames", when there, is not the model's */
		if (get_u64(r, r->obj, "depth", false, &ev->args[0]) < 0 ||
		    get_u64(r, r->obj, "pc", true, &ev->args[1]) < 0)
			return -1;
		return ev->type == MEV_RETURN ? get_u64(r, r->obj, "value", true, &ev->result) : 0;
	case MEV_SIGNAL: case MEV_EXIT:
		if (get_int(r, r->obj, "signo", false, 0, 64, &v) < 0 || get_str(r, r->obj, "signal", false, &s) < 0)
			return -1;
		if (!v && s && !(v = (uint64_t)out_sigparse(s)))
			return bad(r, "unknown signal \"%s\"", s);
		ev->error = (uint32_t)v;
		if (ev->type == MEV_SIGNAL) {
			if (!v)
				return bad(r, "a signal event needs \"%s\"", "signo");
			return get_u64(r, r->obj, "addr", false, &ev->aux);
		}
		if (v) {
			ev->code = 1;
			if (get_str(r, r->obj, "by", false, &s) < 0)
				return -1;
			if (s && strcmp(s, "memlens") == 0)
				ev->code = 2;
			return 0;
		}
		return get_int(r, r->obj, "status", true, 0, 255, &ev->result);
	default:
		return 0;
	}
}

static int read_event(struct rd *r, enum model_ev_type t)
{
	struct model_event ev = { .type = (uint16_t)t };
	uint64_t tid, flags, errn, code, aux = 0;

	if (get_u64(r, r->obj, "seq", true, &ev.seq) < 0 ||
	    get_int(r, r->obj, "tid", false, INT32_MIN, INT32_MAX, &tid) < 0 ||
	    read_args(r, &ev) < 0 || read_kind(r, &ev) < 0 || read_site(r, &ev) < 0 ||
	    get_flags(r, t, &flags) < 0 ||
	    get_carried(r, "sp", &r->last_sp, &ev.sp) < 0 ||
	    get_carried(r, "stack_depth", &r->last_depth, &ev.stack_depth) < 0 ||
	    get_carried(r, "brk", &r->last_brk, &ev.brk) < 0 || get_teach_facts(r, &ev, (uint16_t)flags) < 0 ||
	    get_int(r, r->obj, "errno", false, INT32_MIN, INT32_MAX, &errn) < 0 ||
	    get_int(r, r->obj, "code", false, INT32_MIN, INT32_MAX, &code) < 0 ||
	    (t != MEV_SIGNAL && t != MEV_REGIONS && get_u64(r, r->obj, "aux", false, &aux) < 0))
		return -1;
	ev.tid = (int32_t)tid; /* (flags: set by get_teach_facts, which needs them) */
	ev.err_no = (int32_t)errn;
	if (t != MEV_EXIT)
		ev.code = (int32_t)code;
	if (t != MEV_SIGNAL && t != MEV_REGIONS)
		ev.aux = aux;
	return model_apply(r->m, &ev, r->e);
}

static char *dup_span(const struct jdoc *d, uint32_t v)
{
	if (v == JNONE)
		return NULL;
	return strndup(d->text + d->v[v].off, d->v[v].len);
}

static int read_start(struct rd *r, const struct out_reader_cb *cb)
{
	struct out_trace_start s = { 0 };
	uint32_t args = jobj_get(&r->d, r->obj, "args");
	char *opts = NULL, *layout = NULL;
	uint64_t ver;
	int rc = -1, n = 0;

	if (get_int(r, r->obj, "version", true, 0, INT32_MAX, &ver) < 0 ||
	    get_str(r, r->obj, "program", false, &s.program) < 0)
		return -1;
	if (ver < 1 || ver > OUT_TRACE_VERSION)
		return err_set(r->e, ERR_INPUT, "%s:%zu: trace format version %" PRIu64 " (this memlens reads 1 to %d)",
			       r->name, r->line, ver, OUT_TRACE_VERSION);
	s.version = r->version = (int)ver;
	if (args != JNONE && r->d.v[args].type != JT_ARR)
		return bad(r, "\"%s\" must be an array of strings", "args");
	s.argv = calloc(args == JNONE ? 1 : r->d.v[args].u + 1, sizeof(char *));
	if (!s.argv)
		return err_set(r->e, ERR_INTERNAL, "out of memory");
	for (uint32_t c = args == JNONE ? JNONE : r->d.v[args].first; c != JNONE; c = r->d.v[c].next) {
		if (r->d.v[c].type != JT_STR) {
			bad(r, "\"%s\" must be an array of strings", "args");
			goto out;
		}
		s.argv[n++] = (char *)jstr(&r->d, c);
	}
	s.argc = n;
	uint32_t o = jobj_get(&r->d, r->obj, "options"), l = jobj_get(&r->d, r->obj, "layout");
	if (o != JNONE && r->d.v[o].type != JT_OBJ && r->d.v[o].type != JT_NULL) {
		bad(r, "\"%s\" must be an object", "options");
		goto out;
	}
	if ((o != JNONE && r->d.v[o].type == JT_OBJ && !(opts = dup_span(&r->d, o))) ||
	    (l != JNONE && !(layout = dup_span(&r->d, l)))) {
		err_set(r->e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	s.options_raw = opts;
	s.layout_raw = layout;
	if (o != JNONE && r->d.v[o].type == JT_OBJ) {
		uint32_t b = jobj_get(&r->d, o, "bytes"), a = jobj_get(&r->d, o, "alloc");
		s.bytes = b != JNONE && r->d.v[b].type == JT_BOOL && r->d.v[b].b;
		r->teach = a != JNONE && r->d.v[a].type == JT_STR && strcmp(jstr(&r->d, a), "teach") == 0;
	}
	rc = cb && cb->start ? cb->start(cb->arg, &s, r->e) : 0;
out:
	free(s.argv);
	free(opts);
	free(layout);
	return rc;
}

/* trace --bytes: the "bytes" of a free or realloc line, the "contents"
 * of the exit line (at most OUT_CONTENTS_MAX blocks), checked and decoded;
 * then the line callback with them and the line's "frames" text. */
static int read_line_extra(struct rd *r, enum model_ev_type t, const char *buf,
			   struct out_content **cont, out_line_fn line, void *arg)
{
	struct out_line_extra *xp = &r->x;
	unsigned char *b = r->bytes;
	uint32_t fr = jobj_get(&r->d, r->obj, "frames"), c;
	const char *hex;
	int n;

	memset(xp, 0, sizeof(*xp));
	if (fr != JNONE && r->d.v[fr].type == JT_ARR) {
		xp->frames = buf + r->d.v[fr].off;
		xp->nframes = r->d.v[fr].len;
	}
	if (get_str(r, r->obj, "bytes", false, &hex) < 0)
		return -1;
	if (hex) {
		if ((n = out_hex_parse(hex, b, OUT_BYTES_MAX)) < 0)
			return bad(r, "\"%s\" must be hex text of at most 64 bytes", "bytes");
		if (t != MEV_FREE && t != MEV_REALLOC && t != MEV_REALLOCARRAY)
			return bad(r, "\"%s\" belongs on a free or realloc line", "bytes");
		xp->bytes = b;
		xp->nbytes = (size_t)n;
	}
	c = jobj_get(&r->d, r->obj, "contents");
	if (c != JNONE) {
		size_t k = 0;
		if (t != MEV_EXIT || r->d.v[c].type != JT_ARR)
			return bad(r, "\"%s\" must be an array on the exit line", "contents");
		if (r->d.v[c].u > OUT_CONTENTS_MAX)
			return bad(r, "\"%s\" lists more blocks than memlens records", "contents");
		free(*cont);
		if (!(*cont = malloc((r->d.v[c].u ? r->d.v[c].u : 1) * sizeof(**cont))))
			return err_set(r->e, ERR_INTERNAL, "out of memory");
		for (uint32_t i = r->d.v[c].first; i != JNONE; i = r->d.v[i].next, k++) {
			struct out_content *o = &(*cont)[k];
			if (r->d.v[i].type != JT_OBJ)
				return bad(r, "\"%s\" must hold objects {addr, bytes}", "contents");
			if (get_u64(r, i, "addr", true, &o->addr) < 0 || get_str(r, i, "bytes", true, &hex) < 0)
				return -1;
			if ((n = out_hex_parse(hex, o->b, OUT_BYTES_MAX)) < 0)
				return bad(r, "\"%s\" must be hex text of at most 64 bytes", "bytes");
			o->n = (uint32_t)n;
		}
		xp->contents = *cont;
		xp->ncontents = k;
		xp->has_contents = true;
		if (get_u64(r, r->obj, "contents_more", false, &xp->contents_more) < 0)
			return -1;
	}
	line(arg, xp);
	return 0;
}

static int read_all(FILE *f, const char *name, struct model *m, const struct out_reader_cb *cb,
		    out_frames_fn frames, out_line_fn line, struct err *e);

int out_trace_read(FILE *f, const char *name, struct model *m,
		   const struct out_reader_cb *cb, struct err *e)
{
	return read_all(f, name, m, cb, NULL, NULL, e);
}

int out_trace_read_frames(FILE *f, const char *name, struct model *m,
			  const struct out_reader_cb *cb, out_frames_fn frames, struct err *e)
{
	return read_all(f, name, m, cb, frames, NULL, e);
}

int out_trace_read_extra(FILE *f, const char *name, struct model *m,
			 const struct out_reader_cb *cb, out_line_fn line, struct err *e)
{
	return read_all(f, name, m, cb, NULL, line, e);
}

static int read_all(FILE *f, const char *name, struct model *m, const struct out_reader_cb *cb,
		    out_frames_fn frames, out_line_fn line, struct err *e)
{
	struct rd r = { .name = name, .e = e, .m = m };
	struct out_content *cont = NULL;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	bool started = false, ended = false;
	int rc = -1;

	while ((len = getline(&buf, &cap, f)) >= 0) {
		const char *type;
		enum model_ev_type t;

		r.line++;
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (strspn(buf, " \t\r") == (size_t)len)
			continue; /* blank line */
		if ((size_t)len > MAX_LINE) {
			bad(&r, "line longer than %s", "64 MiB");
			goto out;
		}
		if (memchr(buf, '\0', (size_t)len)) {
			bad(&r, "a %s byte in the line", "NUL");
			goto out;
		}
		if (ended) {
			bad(&r, "text after the %s line", "summary");
			goto out;
		}
		if ((r.obj = jdoc_parse(&r.d, buf, (size_t)len)) == JNONE) {
			err_set(e, ERR_INPUT, "%s:%zu: malformed JSON at byte %zu: %s", name, r.line,
				r.d.errpos + 1, r.d.err);
			goto out;
		}
		if (r.d.v[r.obj].type != JT_OBJ) {
			bad(&r, "each line must be a JSON %s", "object");
			goto out;
		}
		if (get_str(&r, r.obj, "type", true, &type) < 0)
			goto out;
		if (!started) {
			if (strcmp(type, "start") != 0) {
				bad(&r, "not a memlens trace: the first line must be {\"type\":\"start\",...}, not \"%s\"", type);
				goto out;
			}
			if (read_start(&r, cb) < 0)
				goto out;
			started = true;
			continue;
		}
		if (strcmp(type, "summary") == 0) {
			ended = true;
			continue;
		}
		if (!(t = model_ev_parse(type))) {
			bad(&r, "unknown event type \"%s\"", type);
			goto out;
		}
		if (read_event(&r, t) < 0)
			goto out;
		if (frames) {
			uint32_t fr = jobj_get(&r.d, r.obj, "frames");
			if (fr != JNONE && r.d.v[fr].type == JT_ARR)
				frames(cb ? cb->arg : NULL, buf + r.d.v[fr].off, r.d.v[fr].len);
			else
				frames(cb ? cb->arg : NULL, NULL, 0);
		}
		if (line && read_line_extra(&r, t, buf, &cont, line, cb ? cb->arg : NULL) < 0)
			goto out;
		if (cb && cb->event &&
		    cb->event(cb->arg, m, model_event(m, model_event_count(m) - 1), model_event_count(m) - 1, e) < 0)
			goto out;
	}
	if (ferror(f)) {
		err_errno(e, ERR_INPUT, errno, "%s", name);
		goto out;
	}
	if (!started) {
		err_set(e, ERR_INPUT, "%s: empty file: not a memlens trace", name);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	free(cont);
	jdoc_free(&r.d);
	return rc;
}
