/* view: what the screen shows, in plain C (no curses): the current event,
 * the focused pane, the selected block and region, scroll offsets, the
 * compact tab / zoom, prompts (go to, search), the open overlay (details,
 * help, quit confirmation), and the layout of the panes for a terminal size.
 * Keys are handled by a pure function of the state and the model, so Check
 * tests drive the screen without a terminal; ui.c maps curses keys to VK_*
 * and performs the returned action (seek, fetch a live event, quit). */
#ifndef MEMLENS_UI_VIEW_H
#define MEMLENS_UI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

enum view_pane { VP_MAP, VP_HEAP, VP_STACK, VP_EVENTS, VP_OUTPUT, VP_SOURCE, VP_COUNT };

/* Pane titles, as drawn and as named on the compact tab bar. */
const char *view_pane_name(enum view_pane p);

/* Keys that are not plain characters (ui.c translates curses codes). */
enum view_keycode {
	VK_UP = 0x10000, VK_DOWN, VK_LEFT, VK_RIGHT, VK_PGUP, VK_PGDN,
	VK_HOME, VK_END, VK_ENTER, VK_TAB, VK_BTAB, VK_ESC, VK_BACKSPACE,
	VK_CTRL_C,
};

/* What an open overlay or prompt is. */
enum view_mode {
	VM_NORMAL, VM_GOTO, VM_SEARCH, VM_DETAILS, VM_HELP, VM_CONFIRM_QUIT,
	VM_INPUT,  /* typed keys go to the program's input (live runs) */
};

/* What the caller must do after view_key. */
enum view_action {
	VA_NONE,     /* nothing changed */
	VA_REDRAW,   /* the view changed; draw it again */
	VA_SEEK,     /* v->cur changed: model_seek(m, v->cur), then draw */
	VA_FETCH,    /* live: the next event is not recorded yet; run the
	                program to it, apply it, then call view_stepped() */
	VA_CONTINUE, /* run to the end (replay: seek to the last event) */
	VA_STOP,     /* stop a continue in progress */
	VA_SEND,     /* send v->input (v->input_len bytes, newline added) to
	                the program's input, then clear it */
	VA_QUIT,     /* leave the screen (and kill a running program) */
	VA_GRAN,     /* live: set the stepping granularity to v->gran (if that
	                fails, put v->gran back and say why) */
	VA_FINISH,   /* live: run to the end of the current function (a
	                continue that stops at its return) */
};

/* Stepping granularity: where `n` stops in a live run. */
enum view_gran { VG_ALLOC, VG_CALL, VG_LINE, VG_COUNT };

/* "alloc", "call", "line". */
const char *view_gran_name(int g);

/* A rectangle of cells; h == 0 means the pane is not shown. */
struct view_rect {
	int y, x, h, w;
};

/* Where everything goes for a terminal size; see view_layout(). */
struct view_layout {
	int rows, cols;
	bool compact;                 /* one pane at a time, with a tab bar */
	bool too_small;               /* below 40x10: only a "too small" note */
	struct view_rect header;      /* counters line (compact: tab bar below) */
	struct view_rect tabs;        /* compact: the tab bar; else h = 0 */
	struct view_rect pane[VP_COUNT];
	struct view_rect explain;     /* the one-sentence explanation */
	struct view_rect status;      /* the main keys, or the prompt */
};

#define VIEW_INPUT_MAX 128
#define VIEW_LOCALS_MAX 256
#define VIEW_THREADS_MAX 256

struct view {
	size_t cur;            /* events applied: the state shown is after `cur`
	                          events; the current event is cur-1 */
	enum view_pane focus;
	int zoom;              /* large layout: focused pane fills the body */
	enum view_mode mode;
	/* selection */
	uint64_t sel_addr;     /* selected heap block (its pointer), 0 = none */
	uint32_t sel_id;
	int sel_region;        /* index into model_regions, high to low; -1 */
	bool sel_follows;      /* stepping moves the selection to the touched block */
	/* scrolling: first visible line of each pane's list */
	int scroll[VP_COUNT];
	/* prompts */
	char input[VIEW_INPUT_MAX];
	size_t input_len;
	char query[VIEW_INPUT_MAX];   /* last search */
	char message[160];            /* one-shot note for the status line */
	/* the run */
	bool live;             /* a live program (else replay) */
	bool program_done;     /* the program ended: no more events to fetch */
	bool running;          /* a continue is in progress */
	bool wants_input;      /* the program waits for input on its pty */
	bool finishing;        /* the running is an `f` (run to the return) */
	int gran;              /* enum view_gran */
	/* the locals of the stack pane, in drawing order (every frame's, from
	 * the innermost); view_set_locals fills them at each step */
	int nlocals;
	int sel_local;         /* -1: none selected */
	uint64_t local_ptr[VIEW_LOCALS_MAX];
	bool local_is_ptr[VIEW_LOCALS_MAX];
	/* the program's threads in the order their first event came (the
	 * first is the main thread): view_threads_update fills them */
	int nthreads;
	size_t threads_seen;   /* events scanned so far */
	int32_t thread_tid[VIEW_THREADS_MAX];
};

/* Starts at event 0 (nothing applied), focus on the heap. */
void view_init(struct view *v, bool live);

/* Handles one key (a character or VK_*).  Reads the model (events, blocks,
 * regions, sites) but never changes it; the caller performs the action. */
enum view_action view_key(struct view *v, const struct model *m,
			  const struct view_layout *lay, int key);

/* Handles a mouse click at a screen cell: selects the heap block or the
 * region drawn there, or focuses the pane.  Returns VA_REDRAW or VA_NONE. */
enum view_action view_click(struct view *v, const struct model *m,
			    const struct view_layout *lay, int y, int x);

/* Call after the model's cursor moved to v->cur (seek or fetch): moves the
 * selection to the block the current event touched, resets the event list
 * scroll, keeps the region selection in range. */
void view_stepped(struct view *v, const struct model *m);

/* Tells the view the locals the stack pane shows now (n at most
 * VIEW_LOCALS_MAX): each one's pointer value, when it is a pointer.  The
 * selection is kept when its index is still there, else cleared. */
void view_set_locals(struct view *v, const struct model *m, const uint64_t *ptr,
		     const bool *is_ptr, int n);

/* Selects local i (stack pane, up/down): a pointer local selects what it
 * points to, the heap block (live or freed) and the region of the map. */
void view_select_local(struct view *v, const struct model *m, int i);

/* Computes the layout for a terminal of rows x cols.  At 100x30 and larger
 * the panes sit side by side; below that the view is compact: a tab bar and
 * one pane (the focused one) at a time, so nothing is cut off silently.
 * v->zoom makes the focused pane fill the body at any size. */
void view_layout(const struct view *v, int rows, int cols, struct view_layout *out);

/* The pane whose rectangle holds (y, x), or -1. */
int view_pane_at(const struct view_layout *lay, int y, int x);

/* The event the current step shows (cur-1), or NULL before the first. */
const struct model_event *view_current_event(const struct view *v, const struct model *m);

/* The address the event is about: the block pointer an allocation returned
 * or a free released, a fault address; 0 when none. */
uint64_t view_event_addr(const struct model_event *ev);

/* Index into model_blocks() of the block at address `addr` (exact pointer),
 * or of the first block above it when none matches; n when none. */
size_t view_block_index(const struct model *m, uint64_t addr);

/* The selected block: a live block or free chunk at the cursor, else the
 * freed block at that address (details of a block freed earlier), or NULL. */
const struct model_block *view_selected_block(const struct view *v, const struct model *m);

/* Selects block i of model_blocks() (the last one when i is past the end;
 * nothing when there are no blocks). */
void view_select_index(struct view *v, const struct model *m, size_t i);

/* Regions from high to low addresses: region i of the view is
 * model_regions()[n-1-i]. */
const struct model_region *view_region(const struct model *m, int i, int *n);

/* Searches events for `q` from event index `from` (0-based) forward,
 * wrapping: a function name substring of the call site, or an address
 * (hex) equal to an argument or result or inside the block.  Returns the
 * event index or -1. */
long view_search(const struct model *m, const char *q, size_t from);

/* ---- viewtext.c: words that depend on the width or the threads ---- */

/* Scans the events recorded since the last call and numbers the threads
 * that made them (each event is scanned once; the history only grows). */
void view_threads_update(struct view *v, const struct model *m);

/* Number of thread `tid`: 1 for the first thread seen (the main thread),
 * 2.. for the others in order; 0 when unknown or past VIEW_THREADS_MAX. */
int view_thread_num(const struct view *v, int32_t tid);

/* The event list's tag of thread `tid`: "t2" (or "t?" when unknown) when
 * the program has had more than one thread, else "".  Returns its length. */
int view_thread_tag(const struct view *v, int32_t tid, char *buf, size_t len);

/* Words naming a thread that is not the main one, for sentences:
 * "thread t2 (tid 4242)"; "" for the main thread or a single-threaded
 * program.  Returns the length. */
int view_thread_words(const struct view *v, int32_t tid, char *buf, size_t len);

/* The status line's keys for a width of `w` cells: the keys in a fixed
 * order, the least important left out until the line fits; "? help" and
 * "q quit" are always there (when even they do not fit, the line ends
 * in the cut marker).  Live runs get s, f and the granularity. */
void view_status_keys(const struct view *v, int w, char *buf, size_t len);

#endif
