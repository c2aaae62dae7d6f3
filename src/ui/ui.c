/* ui: the screen's main loop.  Waits on the keyboard, the program's output,
 * the source's progress and the signal self-pipe; turns keys into view
 * actions; seeks the model or asks the source for the next live event;
 * redraws (at most about 30 times a second while a continue runs). */
#include "ui/ui.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ui/draw.h"
#include "ui/term.h"

#define FRAME_NS 33000000L /* at most ~30 redraws a second while running */

static long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static int translate_key(int ch)
{
	switch (ch) {
	case KEY_UP: return VK_UP;
	case KEY_DOWN: return VK_DOWN;
	case KEY_LEFT: return VK_LEFT;
	case KEY_RIGHT: return VK_RIGHT;
	case KEY_PPAGE: return VK_PGUP;
	case KEY_NPAGE: return VK_PGDN;
	case KEY_HOME: return VK_HOME;
	case KEY_END: return VK_END;
	case KEY_ENTER: case '\n': case '\r': return VK_ENTER;
	case '\t': return VK_TAB;
	case KEY_BTAB: return VK_BTAB;
	case 27: return VK_ESC;
	case KEY_BACKSPACE: case 127: case 8: return VK_BACKSPACE;
	case 3: return VK_CTRL_C;
	}
	return ch;
}

struct loop {
	struct ui *u;
	bool fetching;      /* a next() is in progress (live) */
	int queued;         /* steps asked for while one was in progress */
	bool out_closed;    /* the program's pty hung up: poll it no more */
	bool dirty;
	long last_draw;
	int rc;
};

static int do_seek(struct loop *l, struct err *e)
{
	if (model_seek(l->u->m, l->u->v.cur, e) < 0)
		return -1;
	view_stepped(&l->u->v, l->u->m);
	l->dirty = true;
	return 0;
}

/* Asks the source for the next event; handles its answer. */
static int fetch(struct loop *l, struct err *e)
{
	struct ui *u = l->u;
	int r;

	u->src->batch = u->v.running ? 4096 : 1;
	r = u->src->next(u->src->ctx, u->m, e);

	if (r < 0)
		return -1;
	if (r == 2) {
		l->fetching = true;
		return 0;
	}
	l->fetching = false;
	/* the program moved on: it no longer waits for the line it was reading */
	u->v.wants_input = false;
	if (u->v.mode == VM_INPUT && u->v.input_len == 0)
		u->v.mode = VM_NORMAL;
	if (r == 0)
		l->queued = 0;
	if (r == 0) {
		u->v.program_done = true;
		u->v.running = false;
		u->v.wants_input = false;
	}
	u->v.cur = model_event_count(u->m);
	if (model_cursor(u->m) != u->v.cur && model_seek(u->m, u->v.cur, e) < 0)
		return -1;
	view_stepped(&u->v, u->m);
	/* a continue stops at a crash, as a debugger would, to explain it */
	if (r == 1 && u->v.cur && model_event(u->m, u->v.cur - 1)->type == MEV_SIGNAL &&
	    model_signal_is_crash(model_event(u->m, u->v.cur - 1)->error)) {
		u->v.running = false;
		u->v.finishing = false;
		l->queued = 0;
	}
	/* an f stops at the return it ran to */
	if (u->v.finishing) {
		char msg[sizeof(u->v.message)] = "";
		if (r == 0 || !u->src->finishing || !u->src->finishing(u->src->ctx, msg, sizeof(msg))) {
			u->v.finishing = false;
			u->v.running = false;
			if (msg[0])
				snprintf(u->v.message, sizeof(u->v.message), "%s", msg);
		}
	}
	l->dirty = true;
	if (l->queued > 0 && !u->v.running) {
		l->queued--;
		return fetch(l, e);
	}
	return 0;
}

static void read_output(struct loop *l)
{
	char buf[4096];
	ssize_t n;
	int fd = l->u->src ? l->u->src->out_fd : -1;

	if (fd < 0 || l->out_closed)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		outbuf_add(l->u->out, buf, (size_t)n);
		l->dirty = true;
	}
	/* EIO: every copy of the slave is closed (the program ended) */
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		l->out_closed = true;
}

static int act(struct loop *l, enum view_action a, struct err *e)
{
	struct ui *u = l->u;

	switch (a) {
	case VA_NONE:
		return 0;
	case VA_REDRAW:
		l->dirty = true;
		return 0;
	case VA_SEEK:
		return do_seek(l, e);
	case VA_FETCH:
	case VA_CONTINUE:
		if (a == VA_CONTINUE && u->src && u->src->run && !l->fetching)
			u->src->run(u->src->ctx);
		if (!u->src || !u->src->next) {
			u->v.program_done = true;
			u->v.running = false;
			l->dirty = true;
			return 0;
		}
		if (!l->fetching)
			return fetch(l, e);
		if (a == VA_FETCH && l->queued < 1000)
			l->queued++; /* typed ahead: step again once this one lands */
		return 0;
	case VA_STOP:
		l->dirty = true;
		return 0;
	case VA_SEND:
		if (u->src && u->src->out_fd >= 0) {
			u->v.input[u->v.input_len] = '\n';
			if (write(u->src->out_fd, u->v.input, u->v.input_len + 1) < 0)
				snprintf(u->v.message, sizeof(u->v.message), "the program's input is closed");
		}
		u->v.input_len = 0;
		u->v.input[0] = '\0';
		u->v.mode = VM_NORMAL;
		u->v.wants_input = false;
		l->dirty = true;
		return 0;
	case VA_QUIT:
		l->rc = 1;
		return 0;
	case VA_GRAN:
		l->dirty = true;
		if (!u->src || !u->src->set_gran) {
			u->v.gran = VG_ALLOC;
			snprintf(u->v.message, sizeof(u->v.message),
				 "call/line stepping needs --step support in the tracer");
		} else if (l->fetching) {
			u->v.gran = (u->v.gran + VG_COUNT - 1) % VG_COUNT;
			snprintf(u->v.message, sizeof(u->v.message),
				 "the program is on its way to the next stop: change the step then");
		} else {
			char msg[sizeof(u->v.message)] = "";
			if (u->src->set_gran(u->src->ctx, u->v.gran, msg, sizeof(msg)) < 0)
				u->v.gran = VG_ALLOC;
			if (msg[0])
				snprintf(u->v.message, sizeof(u->v.message), "%s", msg);
		}
		return 0;
	case VA_FINISH: {
		char msg[sizeof(u->v.message)] = "";
		l->dirty = true;
		if (!u->src || !u->src->finish || l->fetching ||
		    u->src->finish(u->src->ctx, msg, sizeof(msg)) < 0) {
			u->v.running = false;
			u->v.finishing = false;
			snprintf(u->v.message, sizeof(u->v.message), "%s",
				 msg[0] ? msg : !u->src || !u->src->finish
				 ? "f needs --step support in the tracer"
				 : "the program is on its way to the next stop: press f then");
			return 0;
		}
		return fetch(l, e);
	}
	}
	return 0;
}

static int handle_keys(struct loop *l, struct err *e)
{
	struct ui *u = l->u;
	int ch;

	while (l->rc == 0 && (ch = getch()) != ERR) {
		if (ch == KEY_RESIZE) {
			l->dirty = true;
			continue;
		}
		if (ch == KEY_MOUSE) {
			MEVENT me;
			if (getmouse(&me) == OK && (me.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)))
				act(l, view_click(&u->v, u->m, &u->lay, me.y, me.x), e);
			continue;
		}
		if (act(l, view_key(&u->v, u->m, &u->lay, translate_key(ch)), e) < 0)
			return -1;
	}
	return 0;
}

static int loop_run(struct loop *l, struct err *e)
{
	struct ui *u = l->u;

	for (;;) {
		struct pollfd p[4];
		int np = 0, timeout = -1;
		long t;

		if (term_signal())
			return 128 + term_signal();
		if (l->rc)
			return 0;
		/* keep a continue going: one event per turn, keys stay live */
		if (u->v.running && !l->fetching && !u->v.program_done && fetch(l, e) < 0)
			return -1;
		if (u->v.running && u->v.program_done)
			u->v.running = false;
		t = now_ns();
		if (l->dirty && (!u->v.running || t - l->last_draw >= FRAME_NS)) {
			ui_draw(u);
			refresh();
			l->dirty = false;
			l->last_draw = t;
		}
		if (u->v.running && !l->fetching)
			timeout = 0;
		else if (l->dirty)
			timeout = (int)((FRAME_NS - (t - l->last_draw)) / 1000000L) + 1;
		else if (l->fetching)
			timeout = 100;
		p[np++] = (struct pollfd){ .fd = 0, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = term_wake_fd(), .events = POLLIN };
		if (u->src && u->src->out_fd >= 0 && !l->out_closed)
			p[np++] = (struct pollfd){ .fd = u->src->out_fd, .events = POLLIN };
		if (u->src && l->fetching && u->src->poll_fd >= 0)
			p[np++] = (struct pollfd){ .fd = u->src->poll_fd, .events = POLLIN };
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR)
			return err_errno(e, ERR_INTERNAL, errno, "poll");
		read_output(l);
		if (handle_keys(l, e) < 0)
			return -1;
		if (l->fetching && fetch(l, e) < 0)
			return -1;
		if (l->fetching && u->src->waits_input) {
			bool w = u->src->waits_input(u->src->ctx);
			if (w != u->v.wants_input) {
				u->v.wants_input = w;
				if (w && u->v.mode == VM_NORMAL) {
					u->v.mode = VM_INPUT;
					u->v.input_len = 0;
					u->v.input[0] = '\0';
				}
				l->dirty = true;
			}
		}
	}
}

int ui_run(const struct ui_opts *o, struct model *m, struct ui_source *src, struct err *e)
{
	struct ui u;
	struct loop l = { 0 };
	SCREEN *scr = NULL;
	int rc = -1;

	/* the character set only: numbers keep their C format */
	setlocale(LC_CTYPE, "");
	if (ui_init(&u, o, m, src, e) < 0)
		return -1;
	if (!isatty(1)) {
		err_set(e, ERR_INPUT, "the screen needs a terminal; without one, use "
			"'memlens replay --text FILE' or 'memlens trace PROGRAM'");
		goto out;
	}
	if (term_open(0, e) < 0)
		goto out;
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		term_close();
		err_set(e, ERR_INPUT, "cannot start the screen: unknown terminal type '%s'",
			getenv("TERM") ? getenv("TERM") : "");
		goto out;
	}
	term_record_reset();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
	mouseinterval(0);
	ui_colors_start(&u);
	l.u = &u;
	/* open on the first event: the memory map at the start */
	u.v.cur = u.v.live ? model_event_count(m) : (model_event_count(m) ? 1 : 0);
	if (model_cursor(m) != u.v.cur && model_seek(m, u.v.cur, e) < 0)
		goto done;
	view_stepped(&u.v, m);
	l.dirty = true;
	/* a live run opens stopped at its first event */
	if (u.v.live && model_event_count(m) == 0 && act(&l, VA_FETCH, e) < 0)
		goto done;
	rc = loop_run(&l, e);
done:
	if (src && src->kill && (rc != 0 || !u.v.program_done))
		src->kill(src->ctx);
	endwin();
	delscreen(scr);
	term_close();
out:
	ui_fini(&u);
	return rc;
}
