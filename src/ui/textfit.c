/* textfit: counting cells and cutting lines with a visible marker (plain
 * C, used by draw_text for every line the screen writes). */
#include "ui/textfit.h"

#include <string.h>

size_t textfit_seq(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Bytes of the character at p (a lone or invalid byte counts as one). */
static size_t char_len(const unsigned char *p, bool utf8)
{
	size_t len = *p >= 0x80 && utf8 ? textfit_seq((const char *)p) : 0;
	return len ? len : 1;
}

int textfit_cols(const char *s, bool utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	int cols = 0;

	while (*p) {
		p += char_len(p, utf8);
		cols++;
	}
	return cols;
}

size_t textfit_cut(const char *s, int w, bool utf8, bool *cut)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t keep = 0;
	int cols = 0;

	*cut = false;
	if (w <= 0) {
		*cut = *s != '\0';
		return 0;
	}
	while (*p) {
		size_t n = char_len(p, utf8);
		if (cols == w - 1)
			keep = (size_t)(p - (const unsigned char *)s);
		if (cols == w) {
			*cut = true;
			return keep;
		}
		p += n;
		cols++;
	}
	return (size_t)(p - (const unsigned char *)s);
}

const char *textfit_marker(bool utf8)
{
	return utf8 ? "\xe2\x80\xa6" : "~";
}

int textfit(const char *s, int w, bool utf8, char *buf, size_t len)
{
	bool cut;
	size_t n = textfit_cut(s, w, utf8, &cut);
	const char *mk = cut && w > 0 ? textfit_marker(utf8) : "";

	if (!len)
		return 0;
	if (len < strlen(mk) + 1) {
		buf[0] = '\0';
		return 0;
	}
	if (n + strlen(mk) + 1 > len)
		n = len - 1 - strlen(mk);
	memcpy(buf, s, n);
	strcpy(buf + n, mk);
	return textfit_cols(buf, utf8);
}
