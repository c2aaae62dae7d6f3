/* value: C type names from DWARF ("struct node *", "int[4]") and short,
 * gdb-like renderings of values read from the target: scalars, pointers
 * (with the text of a char *), and the first elements or members of small
 * arrays and structs. */
#include "dbg/dbg_int.h"

#include <dwarf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_ELEMS 8      /* array elements shown before "..." */
#define MAX_READ 256     /* bytes read for one value */

bool dbg_strip_type(Dwarf_Die *type, Dwarf_Die *out)
{
	Dwarf_Die cur = *type;
	Dwarf_Attribute a;

	for (int guard = 0; guard < 16; guard++) {
		int tag = dwarf_tag(&cur);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type && tag != DW_TAG_restrict_type &&
		    tag != DW_TAG_atomic_type)
			break;
		if (!dwarf_formref_die(dwarf_attr(&cur, DW_AT_type, &a), &cur))
			return false; /* const void */
	}
	*out = cur;
	return true;
}

static void type_name(Dwarf_Die *type, char *buf, size_t len, int depth);

/* "int (*)(int, int)" for a pointer to a function type. */
static void fn_type_name(Dwarf_Die *fn, char *buf, size_t len, int depth)
{
	Dwarf_Attribute a;
	Dwarf_Die ret, c;
	bool first = true;

	if (dwarf_formref_die(dwarf_attr(fn, DW_AT_type, &a), &ret))
		type_name(&ret, buf, len, depth + 1);
	else
		snprintf(buf + strlen(buf), len - strlen(buf), "void");
	snprintf(buf + strlen(buf), len - strlen(buf), " (*)(");
	if (dwarf_child(fn, &c) == 0) {
		do {
			Dwarf_Die pt;
			if (dwarf_tag(&c) == DW_TAG_unspecified_parameters) {
				snprintf(buf + strlen(buf), len - strlen(buf), "%s...", first ? "" : ", ");
				first = false;
			}
			if (dwarf_tag(&c) != DW_TAG_formal_parameter ||
			    !dwarf_formref_die(dwarf_attr(&c, DW_AT_type, &a), &pt))
				continue;
			if (!first)
				snprintf(buf + strlen(buf), len - strlen(buf), ", ");
			type_name(&pt, buf, len, depth + 1);
			first = false;
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	if (first && dwarf_hasattr(fn, DW_AT_prototyped))
		snprintf(buf + strlen(buf), len - strlen(buf), "void");
	snprintf(buf + strlen(buf), len - strlen(buf), ")");
}

/* Appends the name of `type` to buf; `suffix` is what follows (for arrays
 * and pointers to arrays gdb-style is kept simple). */
static void type_name(Dwarf_Die *type, char *buf, size_t len, int depth)
{
	Dwarf_Attribute a;
	Dwarf_Die sub;
	const char *name = dwarf_diename(type);
	size_t l = strlen(buf);
	bool has_sub = dwarf_formref_die(dwarf_attr(type, DW_AT_type, &a), &sub) != NULL;

	if (depth > 8 || l + 1 >= len)
		return;
	switch (dwarf_tag(type)) {
	case DW_TAG_base_type:
	case DW_TAG_typedef:
		snprintf(buf + l, len - l, "%s", name ? name : "?");
		break;
	case DW_TAG_structure_type:
		snprintf(buf + l, len - l, "struct %s", name ? name : "{...}");
		break;
	case DW_TAG_union_type:
		snprintf(buf + l, len - l, "union %s", name ? name : "{...}");
		break;
	case DW_TAG_enumeration_type:
		snprintf(buf + l, len - l, "enum %s", name ? name : "{...}");
		break;
	case DW_TAG_const_type:
	case DW_TAG_volatile_type: {
		const char *q = dwarf_tag(type) == DW_TAG_const_type ? "const" : "volatile";
		int st = has_sub ? dwarf_tag(&sub) : 0;
		if (st == DW_TAG_pointer_type) { /* char *const */
			type_name(&sub, buf, len, depth + 1);
			l = strlen(buf);
			snprintf(buf + l, len - l, " %s", q);
		} else {
			snprintf(buf + l, len - l, "%s ", q);
			if (has_sub)
				type_name(&sub, buf, len, depth + 1);
			else
				snprintf(buf + strlen(buf), len - strlen(buf), "void");
		}
		break;
	}
	case DW_TAG_pointer_type:
		if (!has_sub)
			snprintf(buf + l, len - l, "void *");
		else if (dwarf_tag(&sub) == DW_TAG_subroutine_type)
			fn_type_name(&sub, buf, len, depth);
		else {
			type_name(&sub, buf, len, depth + 1);
			l = strlen(buf);
			snprintf(buf + l, len - l, "%s*", l && buf[l - 1] == '*' ? "" : " ");
		}
		break;
	case DW_TAG_array_type: {
		Dwarf_Die child;
		if (has_sub)
			type_name(&sub, buf, len, depth + 1);
		if (dwarf_child(type, &child) == 0) {
			do {
				Dwarf_Word cnt = 0, ub;
				if (dwarf_tag(&child) != DW_TAG_subrange_type)
					continue;
				if (dwarf_formudata(dwarf_attr(&child, DW_AT_count, &a), &cnt) != 0 &&
				    dwarf_formudata(dwarf_attr(&child, DW_AT_upper_bound, &a), &ub) == 0)
					cnt = ub + 1;
				l = strlen(buf);
				snprintf(buf + l, len - l, cnt ? "[%" PRIu64 "]" : "[]", (uint64_t)cnt);
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		break;
	}
	case DW_TAG_subroutine_type:
		snprintf(buf + l, len - l, "function");
		break;
	default:
		snprintf(buf + l, len - l, "%s", name ? name : "?");
	}
}

const char *dbg_type_name(struct dbg *h, Dwarf_Die *type)
{
	char buf[128] = "";

	type_name(type, buf, sizeof(buf), 0);
	return dbg_intern(h, buf);
}

/* Appends printf output to a bounded buffer; silently truncates. */
static void app(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void app(char *buf, size_t len, const char *fmt, ...)
{
	size_t l = strlen(buf);
	va_list ap;

	if (l + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + l, len - l, fmt, ap);
	va_end(ap);
}

static uint64_t get_uint(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, p, n > 8 ? 8 : n); /* little-endian x86-64 */
	return v;
}

static int64_t get_int(const unsigned char *p, size_t n)
{
	uint64_t v = get_uint(p, n);
	if (n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ull << (8 * n);
	return (int64_t)v;
}

static void app_char(char *buf, size_t len, int c, char quote)
{
	if (c == quote || c == '\\')
		app(buf, len, "\\%c", c);
	else if (c == '\n')
		app(buf, len, "\\n");
	else if (c == '\t')
		app(buf, len, "\\t");
	else if (c && strchr("\a\b\f\r\v", c)) /* as gdb escapes them */
		app(buf, len, "\\%c", "abfrv"[strchr("\a\b\f\r\v", c) - "\a\b\f\r\v"]);
	else if (c >= 32 && c < 127)
		app(buf, len, "%c", c);
	else
		app(buf, len, "\\%03o", c & 0xff);
}

/* A C string at addr, as gdb shows it after a char pointer. */
static void app_cstring(struct dbg *h, uint64_t addr, char *buf, size_t len)
{
	char s[41];
	size_t n = 0;

	/* Read byte by byte up to a page end is slow; read a chunk, then shrink
	 * on failure (the string may sit at the end of a mapping). */
	for (size_t chunk = 40; chunk >= 1; chunk /= 2)
		if (dbg_read(h, addr, s, chunk) == 0) {
			n = chunk;
			break;
		}
	if (!n)
		return;
	app(buf, len, " \"");
	for (size_t i = 0; i < n && s[i]; i++) {
		if (i == 32) {
			app(buf, len, "\"...");
			return;
		}
		app_char(buf, len, (unsigned char)s[i], '"');
	}
	app(buf, len, "\"");
}

static void fmt_at(struct dbg *h, Dwarf_Die *type, const unsigned char *p,
		   size_t avail, char *buf, size_t len, int depth);

static void fmt_base(Dwarf_Die *t, const unsigned char *p, size_t n,
		     char *buf, size_t len)
{
	Dwarf_Attribute a;
	Dwarf_Word enc = 0;

	dwarf_formudata(dwarf_attr(t, DW_AT_encoding, &a), &enc);
	switch (enc) {
	case DW_ATE_float:
		if (n == 4) {
			float f;
			memcpy(&f, p, 4);
			app(buf, len, "%.9g", (double)f);
		} else if (n == 8) {
			double d;
			memcpy(&d, p, 8);
			app(buf, len, "%.17g", d);
		} else
			app(buf, len, "<long double>");
		break;
	case DW_ATE_boolean:
		app(buf, len, "%s", get_uint(p, n) ? "true" : "false");
		break;
	case DW_ATE_signed_char:
	case DW_ATE_unsigned_char:
		if (n == 1) {
			int64_t v = enc == DW_ATE_signed_char ? get_int(p, 1) : (int64_t)p[0];
			app(buf, len, "%" PRId64 " '", v);
			app_char(buf, len, p[0], '\'');
			app(buf, len, "'");
			break;
		}
		/* fall through */
	case DW_ATE_signed:
		app(buf, len, "%" PRId64, get_int(p, n));
		break;
	default:
		app(buf, len, "%" PRIu64, get_uint(p, n));
	}
}

static void fmt_enum(Dwarf_Die *t, const unsigned char *p, size_t n,
		     char *buf, size_t len)
{
	int64_t v = get_int(p, n);
	Dwarf_Die c;
	Dwarf_Attribute a;

	if (dwarf_child(t, &c) == 0) {
		do {
			Dwarf_Sword cv;
			if (dwarf_tag(&c) == DW_TAG_enumerator &&
			    dwarf_formsdata(dwarf_attr(&c, DW_AT_const_value, &a), &cv) == 0 &&
			    cv == v) {
				app(buf, len, "%s", dwarf_diename(&c));
				return;
			}
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	app(buf, len, "%" PRId64, v);
}

/* Chars as gdb prints them: quoted runs, a run of more than 10 equal
 * characters as 'c' <repeats N times>, the final NUL dropped. */
static void fmt_chars(const unsigned char *p, size_t n, char *buf, size_t len)
{
	bool open = false, any = false;

	if (n && p[n - 1] == 0)
		n--; /* the terminating NUL */
	for (size_t i = 0; i < n;) {
		size_t run = 1;
		while (i + run < n && p[i + run] == p[i])
			run++;
		if (strlen(buf) + 8 >= len) {
			app(buf, len, "%s...", open ? "\"" : "");
			return;
		}
		if (run > 10) {
			app(buf, len, "%s%s'", open ? "\"" : "", any ? ", " : "");
			app_char(buf, len, p[i], '"'); /* gdb leaves ' bare here */
			app(buf, len, "' <repeats %zu times>", run);
			open = false;
			i += run;
		} else {
			if (!open)
				app(buf, len, "%s\"", any ? ", " : "");
			open = true;
			for (size_t k = 0; k < run; k++)
				app_char(buf, len, p[i], '"');
			i += run;
		}
		any = true;
	}
	if (open)
		app(buf, len, "\"");
	else if (!any)
		app(buf, len, "\"\"");
}

/* One dimension of an array: dims[0] elements of (the rest of the dims of)
 * elem, each esz * product(dims[1..]) bytes. */
static void fmt_dims(struct dbg *h, Dwarf_Die *elem, Dwarf_Word esz, bool chars,
		     const Dwarf_Word *dims, int nd, const unsigned char *p,
		     size_t avail, char *buf, size_t len, int depth)
{
	Dwarf_Word stride = esz;

	for (int k = 1; k < nd; k++)
		stride *= dims[k];
	if (nd == 1 && chars) {
		fmt_chars(p, dims[0] < avail ? dims[0] : avail, buf, len);
		return;
	}
	app(buf, len, "{");
	for (Dwarf_Word i = 0; i < dims[0]; i++) {
		if (i == MAX_ELEMS || (i + 1) * stride > avail || strlen(buf) + 8 >= len) {
			app(buf, len, "...");
			break;
		}
		if (i)
			app(buf, len, ", ");
		if (nd > 1)
			fmt_dims(h, elem, esz, chars, dims + 1, nd - 1, p + i * stride,
				 avail - i * stride, buf, len, depth + 1);
		else
			fmt_at(h, elem, p + i * stride, stride, buf, len, depth + 1);
	}
	app(buf, len, "}");
}

static void fmt_array(struct dbg *h, Dwarf_Die *t, const unsigned char *p,
		      size_t avail, char *buf, size_t len, int depth)
{
	Dwarf_Attribute a;
	Dwarf_Die elem, se, c;
	Dwarf_Word esz, dims[8], enc = 0;
	int nd = 0;
	bool chars = false;

	if (!dwarf_formref_die(dwarf_attr(t, DW_AT_type, &a), &elem) ||
	    dwarf_aggregate_size(&elem, &esz) != 0 || esz == 0) {
		app(buf, len, "{...}");
		return;
	}
	if (dwarf_child(t, &c) == 0) {
		do {
			Dwarf_Word cnt = 0, ub;
			if (dwarf_tag(&c) != DW_TAG_subrange_type || nd == 8)
				continue;
			if (dwarf_formudata(dwarf_attr(&c, DW_AT_count, &a), &cnt) != 0 &&
			    dwarf_formudata(dwarf_attr(&c, DW_AT_upper_bound, &a), &ub) == 0)
				cnt = ub + 1;
			dims[nd++] = cnt;
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	if (nd == 0) {
		app(buf, len, "{...}");
		return;
	}
	if (esz == 1 && dbg_strip_type(&elem, &se) && dwarf_tag(&se) == DW_TAG_base_type) {
		dwarf_formudata(dwarf_attr(&se, DW_AT_encoding, &a), &enc);
		chars = enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char;
	}
	fmt_dims(h, &elem, esz, chars, dims, nd, p, avail, buf, len, depth);
}

/* A bit-field member (DWARF 5 DW_AT_data_bit_offset, or DWARF 4's
 * data_member_location + bit offset within it, little-endian). */
static void fmt_bitfield(Dwarf_Die *m, Dwarf_Die *mt, const unsigned char *p,
			 size_t avail, char *buf, size_t len)
{
	Dwarf_Attribute a;
	Dwarf_Word bits = 0, boff = 0, loc = 0, enc = 0;
	Dwarf_Die t;
	uint64_t v = 0;

	dwarf_formudata(dwarf_attr(m, DW_AT_bit_size, &a), &bits);
	if (dwarf_formudata(dwarf_attr(m, DW_AT_data_bit_offset, &a), &boff) != 0 &&
	    dwarf_formudata(dwarf_attr(m, DW_AT_data_member_location, &a), &loc) == 0)
		boff = loc * 8; /* DW_AT_bit_offset (big-endian view) not handled */
	if (bits == 0 || bits > 57 || boff / 8 + (boff % 8 + bits + 7) / 8 > avail) {
		app(buf, len, "?");
		return;
	}
	memcpy(&v, p + boff / 8, (boff % 8 + bits + 7) / 8);
	v = (v >> (boff % 8)) & ((1ull << bits) - 1);
	if (dbg_strip_type(mt, &t))
		dwarf_formudata(dwarf_attr(&t, DW_AT_encoding, &a), &enc);
	if ((enc == DW_ATE_signed || enc == DW_ATE_signed_char) && (v >> (bits - 1)) & 1)
		app(buf, len, "%" PRId64, (int64_t)(v | ~0ull << bits));
	else
		app(buf, len, "%" PRIu64, v);
}

static void fmt_struct(struct dbg *h, Dwarf_Die *t, const unsigned char *p,
		       size_t avail, char *buf, size_t len, int depth)
{
	Dwarf_Die m;
	Dwarf_Attribute a;
	bool first = true;

	if (depth > 2) {
		app(buf, len, "{...}");
		return;
	}
	app(buf, len, "{");
	if (dwarf_child(t, &m) == 0) {
		do {
			Dwarf_Word off = 0, msz;
			Dwarf_Die mt;
			if (dwarf_tag(&m) != DW_TAG_member ||
			    !dwarf_formref_die(dwarf_attr(&m, DW_AT_type, &a), &mt))
				continue;
			dwarf_formudata(dwarf_attr(&m, DW_AT_data_member_location, &a), &off);
			if (dwarf_hasattr(&m, DW_AT_bit_size)) {
				app(buf, len, "%s%s = ", first ? "" : ", ",
				    dwarf_diename(&m) ? dwarf_diename(&m) : "?");
				first = false;
				fmt_bitfield(&m, &mt, p, avail, buf, len);
				continue;
			}
			if (dwarf_aggregate_size(&mt, &msz) != 0 || off + msz > avail) {
				app(buf, len, "%s...", first ? "" : ", ");
				break;
			}
			app(buf, len, "%s%s = ", first ? "" : ", ",
			    dwarf_diename(&m) ? dwarf_diename(&m) : "?");
			first = false;
			fmt_at(h, &mt, p + off, msz, buf, len, depth + 1);
		} while (dwarf_siblingof(&m, &m) == 0);
	}
	app(buf, len, "}");
}

static void fmt_at(struct dbg *h, Dwarf_Die *type, const unsigned char *p,
		   size_t avail, char *buf, size_t len, int depth)
{
	Dwarf_Die t, pointee, sp;
	Dwarf_Word n = 0;
	Dwarf_Attribute a;

	if (!dbg_strip_type(type, &t)) {
		app(buf, len, "?");
		return;
	}
	dwarf_aggregate_size(&t, &n);
	switch (dwarf_tag(&t)) {
	case DW_TAG_base_type:
		if (n <= avail)
			fmt_base(&t, p, n, buf, len);
		break;
	case DW_TAG_enumeration_type:
		if (n <= avail)
			fmt_enum(&t, p, n, buf, len);
		break;
	case DW_TAG_pointer_type: {
		uint64_t v = get_uint(p, 8);
		app(buf, len, "0x%" PRIx64, v);
		/* char *: the text too, as gdb does (not inside aggregates). */
		if (v && depth == 0 &&
		    dwarf_formref_die(dwarf_attr(&t, DW_AT_type, &a), &pointee) &&
		    dbg_strip_type(&pointee, &sp) && dwarf_tag(&sp) == DW_TAG_base_type &&
		    dwarf_aggregate_size(&sp, &n) == 0 && n == 1) {
			Dwarf_Word enc = 0;
			dwarf_formudata(dwarf_attr(&sp, DW_AT_encoding, &a), &enc);
			if (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char)
				app_cstring(h, v, buf, len);
		}
		break;
	}
	case DW_TAG_array_type:
		fmt_array(h, &t, p, avail, buf, len, depth);
		break;
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_class_type:
		fmt_struct(h, &t, p, avail, buf, len, depth);
		break;
	default:
		app(buf, len, "?");
	}
}

bool dbg_format_value(struct dbg *h, Dwarf_Die *type, uint64_t addr,
		      char *buf, size_t len)
{
	unsigned char data[MAX_READ];
	Dwarf_Word n = 0;
	size_t want;

	buf[0] = '\0';
	if (dwarf_aggregate_size(type, &n) != 0)
		n = 8;
	want = n > MAX_READ ? MAX_READ : n;
	if (want == 0 || dbg_read(h, addr, data, want) != 0)
		return false;
	fmt_at(h, type, data, want, buf, len, 0);
	return true;
}

void dbg_format_bytes(struct dbg *h, Dwarf_Die *type, const void *data, size_t n,
		      char *buf, size_t len)
{
	buf[0] = '\0';
	fmt_at(h, type, data, n, buf, len, 0);
}
