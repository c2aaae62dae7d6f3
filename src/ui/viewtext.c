/* viewtext: the words of the screen that depend on its width or on the
 * program's threads, in plain C: which keys the status line names, and
 * the short thread tags ("t2") of a multi-threaded program. */
#include "ui/view.h"

#include <stdio.h>
#include <string.h>

void view_threads_update(struct view *v, const struct model *m)
{
	size_t n = model_event_count(m);

	if (v->threads_seen > n)   /* another model: start again */
		v->threads_seen = 0, v->nthreads = 0;
	for (; v->threads_seen < n; v->threads_seen++) {
		const struct model_event *ev = model_event(m, v->threads_seen);
		if (!ev || ev->tid <= 0 || view_thread_num(v, ev->tid) ||
		    v->nthreads >= VIEW_THREADS_MAX)
			continue;
		v->thread_tid[v->nthreads++] = ev->tid;
	}
}

int view_thread_num(const struct view *v, int32_t tid)
{
	/* most events come from the first few threads: a linear scan */
	for (int i = 0; i < v->nthreads; i++)
		if (v->thread_tid[i] == tid)
			return i + 1;
	return 0;
}

int view_thread_tag(const struct view *v, int32_t tid, char *buf, size_t len)
{
	int k = view_thread_num(v, tid);

	if (v->nthreads < 2)
		return snprintf(buf, len, "%s", "");
	return k ? snprintf(buf, len, "t%d", k) : snprintf(buf, len, "t?");
}

int view_thread_words(const struct view *v, int32_t tid, char *buf, size_t len)
{
	int k = view_thread_num(v, tid);

	if (v->nthreads < 2 || k == 1 || tid <= 0)
		return snprintf(buf, len, "%s", "");
	if (!k)
		return snprintf(buf, len, "thread tid %d", (int)tid);
	return snprintf(buf, len, "thread t%d (tid %d)", k, (int)tid);
}

/* A key of the status line and how much it matters (kept longest: high). */
struct skey {
	const char *text;
	int prio;
};

void view_status_keys(const struct view *v, int w, char *buf, size_t len)
{
	char next[40];
	const struct skey live[] = {
		{ next, 9 }, { "b back", 8 }, { "s step by", 5 }, { "f finish", 3 },
		{ "c continue", 7 }, { "g go to", 4 }, { "Enter block", 2 },
		{ "Tab pane", 6 }, { "/ search", 1 }, { "z zoom", 0 },
		{ "? help", 10 }, { "q quit", 10 },
	};
	const struct skey replay[] = {
		{ "n next", 9 }, { "b back", 8 }, { "c continue", 7 }, { "g go to", 5 },
		{ "Enter block", 4 }, { "Tab pane", 6 }, { "/ search", 3 }, { "z zoom", 2 },
		{ "? help", 10 }, { "q quit", 10 },
	};
	const struct skey *k = v->live ? live : replay;
	int nk = v->live ? (int)(sizeof(live) / sizeof(live[0]))
			 : (int)(sizeof(replay) / sizeof(replay[0]));
	int min = 0;

	snprintf(next, sizeof(next), "n next (%s)", view_gran_name(v->gran));
	/* raise the bar until the kept keys fit: " k1  k2  k3" */
	for (; min <= 10; min++) {
		int need = 0;
		for (int i = 0; i < nk; i++)
			if (k[i].prio >= min)
				need += 2 + (int)strlen(k[i].text);
		if (need - 1 <= w || min == 10)
			break;
	}
	if (len)
		buf[0] = '\0';
	for (int i = 0, used = 0; i < nk; i++) {
		if (k[i].prio < min)
			continue;
		used += snprintf(buf + used, len > (size_t)used ? len - (size_t)used : 0, "%s%s",
				 used ? "  " : " ", k[i].text);
		if ((size_t)used >= len)
			break;
	}
}
