/* stackview: the stack pane's lines, pointer labels and sentences, and
 * the source pane's file cache, in plain C so check_view tests them. */
#include "ui/stackview.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int stackview_lines(const struct ui_frame *f, int nf, int width,
		    struct stack_line *out, int max)
{
	int n = 0, k = 0;

	for (int i = 0; i < nf && n < max; i++) {
		out[n++] = (struct stack_line){ SL_FRAME, i, -1, false };
		if (f[i].detail[0] && n < max)
			out[n++] = (struct stack_line){ SL_NOTE, i, -1, false };
		for (int j = 0; j < f[i].nlocals && n < max; j++, k++) {
			const struct ui_local *l = &f[i].locals[j];
			char a[160], b[160];
			struct stack_line *sl = &out[n++];
			*sl = (struct stack_line){ SL_LOCAL, i, k, false };
			stackview_local_text(l, width, a, sizeof(a));
			stackview_label(l, "->", b, sizeof(b));
			if (!b[0])
				continue;
			if ((int)(strlen(a) + 1 + strlen(b)) <= width)
				sl->label_inline = true;
			else if (n < max)
				out[n++] = (struct stack_line){ SL_LABEL, i, k, false };
		}
		if (f[i].more > 0 && n < max)
			out[n++] = (struct stack_line){ SL_MORE, i, -1, false };
	}
	return n;
}

void stackview_local_text(const struct ui_local *l, int width, char *buf, size_t len)
{
	const char *t = l->type[0] ? l->type : "?";
	const char *val = l->available ? l->value : "<unavailable>";
	size_t tl = strlen(t);
	/* "char *p", not "char * p"; arrays keep their brackets after the name */
	const char *sp = tl && t[tl - 1] == '*' ? "" : " ";
	int n = snprintf(buf, len, "  %s%s%s = %s", t, sp, l->name, val);

	if (n > width)
		snprintf(buf, len, "  %s = %s  %s", l->name, val, t);
}

static const char *sec_name(uint8_t kind)
{
	switch (kind) {
	case UI_PT_DATA: return ".data";
	case UI_PT_BSS: return ".bss";
	case UI_PT_RODATA: case UI_PT_LITERAL: return ".rodata";
	default: return "";
	}
}

void stackview_label(const struct ui_local *l, const char *arrow, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!l->is_ptr || !l->available)
		return;
	switch (l->kind) {
	case UI_PT_HEAP:
		snprintf(buf, len, "%s heap #%" PRIu32 " +%" PRIu64, arrow, l->block, l->offset);
		break;
	case UI_PT_FREED:
		snprintf(buf, len, "%s freed #%" PRIu32 " (dangling)", arrow, l->block);
		break;
	case UI_PT_LITERAL:
		snprintf(buf, len, "%s \"%s\" in .rodata", arrow, l->sym);
		break;
	case UI_PT_NULL:
		snprintf(buf, len, "%s NULL", arrow);
		break;
	case UI_PT_STACK:
		snprintf(buf, len, "%s local %s", arrow, l->sym[0] ? l->sym : "on the stack");
		break;
	case UI_PT_DATA: case UI_PT_BSS: case UI_PT_RODATA:
		if (l->offset)
			snprintf(buf, len, "%s %s+%" PRIu64 " in %s", arrow, l->sym[0] ? l->sym : "?",
				 l->offset, sec_name(l->kind));
		else
			snprintf(buf, len, "%s %s in %s", arrow, l->sym[0] ? l->sym : "?", sec_name(l->kind));
		break;
	case UI_PT_TEXT:
		snprintf(buf, len, "%s code %s", arrow, l->sym[0] ? l->sym : "");
		break;
	case UI_PT_UNMAPPED:
		snprintf(buf, len, "%s nothing mapped", arrow);
		break;
	case UI_PT_OTHER:
		snprintf(buf, len, "%s mapped, not the heap", arrow);
		break;
	default:
		break;
	}
}

void stackview_sentence(const struct ui_local *l, const char *func, char *buf, size_t len)
{
	char head[160];
	const char *fn = func && func[0] ? func : "??";

	snprintf(head, sizeof(head), "%s is %son the stack in %s", l->name,
		 l->param ? "a parameter, " : "", fn);
	if (!l->available) {
		snprintf(buf, len, "%s; its value is not available here (%s): the compiler "
			 "keeps it in a register or optimized it out", head, l->value);
		return;
	}
	if (!l->is_ptr) {
		snprintf(buf, len, "%s; it is %s %s holding %s", head,
			 strchr("aeiou", l->type[0]) && l->type[0] ? "an" : "a", l->type, l->value);
		return;
	}
	switch (l->kind) {
	case UI_PT_HEAP:
		if (l->offset)
			snprintf(buf, len, "%s; it points %" PRIu64 " bytes into block #%" PRIu32 " on the heap",
				 head, l->offset, l->block);
		else
			snprintf(buf, len, "%s; it points to block #%" PRIu32 " on the heap", head, l->block);
		break;
	case UI_PT_FREED:
		snprintf(buf, len, "%s; it points to block #%" PRIu32 ", which was freed: a dangling "
			 "pointer, using it is a bug", head, l->block);
		break;
	case UI_PT_LITERAL:
		snprintf(buf, len, "%s; it points to the string literal \"%s\" in .rodata: read-only, "
			 "not on the heap", head, l->sym);
		break;
	case UI_PT_NULL:
		snprintf(buf, len, "%s; it is NULL: it points nowhere", head);
		break;
	case UI_PT_STACK:
		snprintf(buf, len, "%s; it points to the local %s, on the stack too", head, l->sym);
		break;
	case UI_PT_DATA:
		snprintf(buf, len, "%s; it points to the global %s in .data (initialised globals)", head, l->sym);
		break;
	case UI_PT_BSS:
		snprintf(buf, len, "%s; it points to the global %s in .bss (globals that start at zero)",
			 head, l->sym);
		break;
	case UI_PT_RODATA:
		snprintf(buf, len, "%s; it points to %s in .rodata: read-only", head, l->sym);
		break;
	case UI_PT_TEXT:
		snprintf(buf, len, "%s; it points to code: the function %s", head, l->sym);
		break;
	case UI_PT_UNMAPPED:
		snprintf(buf, len, "%s; it points to nothing mapped: following it crashes", head);
		break;
	default:
		snprintf(buf, len, "%s; it holds the address %s", head, l->value);
		break;
	}
}

int stackview_local_frame(const struct ui_frame *f, int nf, int i, int *local)
{
	if (i < 0)
		return -1;
	for (int k = 0; k < nf; k++) {
		if (i < f[k].nlocals) {
			if (local)
				*local = i;
			return k;
		}
		i -= f[k].nlocals;
	}
	return -1;
}

int stackview_source_frame(const struct ui_frame *f, int nf, int sel)
{
	int k = stackview_local_frame(f, nf, sel, NULL);

	if (k >= 0 && f[k].path[0])
		return k;
	for (k = 0; k < nf; k++)
		if (f[k].path[0] && f[k].line > 0)
			return k;
	return -1;
}

void srcfile_free(struct srcfile *s)
{
	free(s->text);
	free(s->start);
	memset(s, 0, sizeof(*s));
}

int srcfile_load(struct srcfile *s, const char *path)
{
	FILE *fp;
	size_t cap = 0, n = 0, got;
	char *text = NULL;

	if (s->tried && strcmp(s->path, path) == 0)
		return s->err ? -1 : 0;
	srcfile_free(s);
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->tried = true;
	fp = fopen(path, "re");
	if (!fp) {
		s->err = errno ? errno : ENOENT;
		return -1;
	}
	/* source files are small; 4 MiB is far more than a sample needs */
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *t;
			if (cap >= (4u << 20))
				break;
			cap = cap ? cap * 2 : 8192;
			t = realloc(text, cap);
			if (!t)
				break;
			text = t;
		}
		got = fread(text + n, 1, cap - n - 1, fp);
		if (got == 0)
			break;
		n += got;
	}
	fclose(fp);
	if (!text) {
		s->err = ENOMEM;
		return -1;
	}
	text[n] = '\0';
	s->text = text;
	s->nlines = 1;
	for (size_t i = 0; i < n; i++)
		if (text[i] == '\n' && i + 1 < n)
			s->nlines++;
	s->start = malloc((size_t)s->nlines * sizeof(*s->start));
	if (!s->start) {
		srcfile_free(s);
		s->tried = true;
		snprintf(s->path, sizeof(s->path), "%s", path);
		s->err = ENOMEM;
		return -1;
	}
	s->start[0] = 0;
	for (size_t i = 0, k = 1; i < n && k < (size_t)s->nlines; i++)
		if (text[i] == '\n')
			s->start[k++] = i + 1;
	return 0;
}

const char *srcfile_line(const struct srcfile *s, int n, size_t *len)
{
	const char *p, *e;

	if (!s->text || n < 1 || n > s->nlines)
		return NULL;
	p = s->text + s->start[n - 1];
	e = strchr(p, '\n');
	*len = e ? (size_t)(e - p) : strlen(p);
	return p;
}
