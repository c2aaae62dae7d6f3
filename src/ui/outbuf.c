/* outbuf: program output split into lines, control sequences dropped. */
#include "ui/outbuf.h"

#include <string.h>

void outbuf_init(struct outbuf *o)
{
	memset(o, 0, sizeof(*o));
}

static char *cur_line(struct outbuf *o)
{
	if (o->count == 0) {
		o->count = 1;
		o->total = 1;
		o->line[o->first][0] = '\0';
	}
	return o->line[(o->first + o->count - 1) % OUTBUF_LINES];
}

static void new_line(struct outbuf *o)
{
	cur_line(o);
	if (o->count == OUTBUF_LINES)
		o->first = (o->first + 1) % OUTBUF_LINES;
	else
		o->count++;
	o->total++;
	o->line[(o->first + o->count - 1) % OUTBUF_LINES][0] = '\0';
}

void outbuf_add(struct outbuf *o, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		char *l = cur_line(o);
		size_t len = strlen(l);

		if (o->esc == 1) { /* after ESC: '[' starts CSI, else one char */
			o->esc = c == '[' ? 2 : 0;
			continue;
		}
		if (o->esc == 2) { /* CSI ends with a byte in 0x40..0x7e */
			if (c >= 0x40 && c <= 0x7e)
				o->esc = 0;
			continue;
		}
		if (c == 0x1b) {
			o->esc = 1;
		} else if (c == '\n') {
			new_line(o);
		} else if (c == '\r') {
			/* CR LF is a newline; a lone CR rewrites the line: keep it simple
			 * and treat both as ending nothing */
		} else if (c == '\b') {
			if (len)
				l[len - 1] = '\0';
		} else if (c == '\t') {
			if (len < OUTBUF_WIDTH) do {
				l[len++] = ' ';
				l[len] = '\0';
			} while (len < OUTBUF_WIDTH && len % 8);
		} else if (c >= 0x20 && c != 0x7f && len < OUTBUF_WIDTH) {
			l[len] = (char)c;
			l[len + 1] = '\0';
		}
	}
}

const char *outbuf_line(const struct outbuf *o, size_t i)
{
	if (i >= o->count)
		return "";
	return o->line[(o->first + i) % OUTBUF_LINES];
}

size_t outbuf_count(const struct outbuf *o)
{
	return o->count;
}
