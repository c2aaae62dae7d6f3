#!/bin/sh
# ui_stack_tmux: the stack and source panes end to end in tmux, on live
# runs: linked_list stopped at a malloc shows main's locals n and head
# with their heap labels and the source line of the call; selecting a
# local says where it points; s cycles the stepping granularity; on
# recursion, stepping by call and f (run to the return) move through the
# calls; a stripped -O2 program says "no debug info", s says why it
# cannot step by call, f still runs to a return, and nothing breaks.
# Every run ends with q, and no process is left.
set -u
. "$(dirname "$0")/lib/tmux.sh"
e2e_setup uistack samples/linked_list samples/recursion tests/targets/step_work_nodebug
# private copies (their debug info still names the sources in samples/)
cp samples/linked_list "$D/ll_target"
cp samples/recursion "$D/rec_target"
cp tests/targets/step_work_nodebug "$D/nodebug_target"

start() { # start COLS ROWS ARGS...
  cols=$1; rows=$2; shift 2
  tm kill-server 2>/dev/null
  run=$((run + 1))
  tm new-session -d -s ml -x "$cols" -y "$rows" "LC_ALL=C $BIN $*; echo MEMLENS-DONE; exec sleep 600"
}
quit() { # quit NAME
  tm send-keys -t ml q
  wait_for "Quit and kill it?" 5 >/dev/null && tm send-keys -t ml y
  wait_for "MEMLENS-DONE" 10; check $? "$1: q quits"
  no_leftovers "$1"
}
# step_to TEXT MAX: space until TEXT shows (at most MAX steps)
step_to() {
  k=0
  while [ $k -lt "$2" ] && ! screen | grep -qF -- "$1"; do
    k=$((k + 1)); tm send-keys -t ml Space; sleep 0.15
  done
  wait_for "$1" 5
}

# ---- 1. linked_list at its second malloc: locals, labels, source ---------
start 120 40 "$D/ll_target"
wait_for "event 1 of 1+"; check $? "linked_list opens stopped"
tm send-keys -t ml f   # before main: no function of the program to finish
wait_for "finish: not inside a function of the program's own code" 5; check $? "f outside the program's code says why"
screen | grep -qF "event 1 of 1+"; check $? "and the program stays where it was"
step_to "malloc(16) took 32 bytes from the heap" 6; check $? "steps to the first malloc"
wait_for "#0 main  linked_list.c:18"; check $? "the stack pane names main at the line of the malloc"
wait_for "Source: linked_list.c:18"; check $? "the source pane follows the call's line"
screen | grep -qE "> 18 +struct node \*n"; check $? "the source pane marks line 18 (the malloc)"
# on to the second malloc: head now points at block #1
tm send-keys -t ml Space; sleep 0.2
step_to "malloc(16) = " 1 >/dev/null
k=0
while [ $k -lt 4 ] && [ "$(screen | grep -c 'malloc(16) = ')" -lt 2 ]; do
  k=$((k + 1)); tm send-keys -t ml Space; sleep 0.2
done
wait_for "head = 0x"; check $? "head is listed with its value"
screen | grep -qE "n = 0x[0-9a-f]+ "; check $? "n is listed with its value"
wait_for "-> heap #1 +0"; check $? "a pointer local is labelled with its heap block"
tm send-keys -t ml 3
tm send-keys -t ml Down
wait_for "n is on the stack in main; it points to block #1 on the heap"; check $? "selecting n says where it points"
tm send-keys -t ml Down Down
wait_for "head is on the stack in main; it points to block #1 on the heap"; check $? "selecting head says where it points"
tm send-keys -t ml s
wait_for "stopped, step by call"; check $? "s switches to stepping by call (header)"
screen | grep -qF "n now steps by call"; check $? "the status line says so"
tm send-keys -t ml s
wait_for "stopped, step by line"; check $? "s again: by line"
tm send-keys -t ml Space
wait_for "The program is about to run line" 5; check $? "by line, n stops at a source line"
tm send-keys -t ml s
wait_for "stopped, step by alloc"; check $? "s again: back to alloc"
tm resize-window -t ml -x 80 -y 24
wait_for "6 Source"; check $? "at 80x24 the source is a tab"
tm send-keys -t ml 6
wait_for "Source: linked_list.c"; check $? "6 shows the source pane"
quit "linked_list"

# ---- 2. recursion: step by call, then f -----------------------------------
start 120 40 "$D/rec_target"
wait_for "event 1 of 1+"; check $? "recursion opens stopped"
tm send-keys -t ml s
wait_for "stopped, step by call"
step_to "#0 factorial" 8; check $? "stepping by call reaches factorial"
tm send-keys -t ml Space; sleep 0.3
tm send-keys -t ml Space
wait_for "#1 factorial"; check $? "a recursive call shows two factorial frames"
screen | grep -qF "int n = "; check $? "each frame lists its parameter n"
tm send-keys -t ml f
wait_for "factorial() returned: its frame was popped" 10; check $? "f runs to the return of the current function"
screen | grep -qF "stopped, step by call"; check $? "and stops there"
quit "recursion"

# ---- 3. no debug info: the panes say so ---------------------------------
start 120 40 "$D/nodebug_target"
wait_for "event 1 of 1+"; check $? "a stripped -O2 program opens"
step_to "malloc(" 6 >/dev/null
wait_for "no debug info: locals" 5; check $? "the stack pane says locals are unavailable"
screen | grep -qF "no source: built without -g"; check $? "the source pane says why there is no source"
tm send-keys -t ml s
wait_for "no debug info" 5; check $? "s explains it cannot step by call"
screen | grep -qF "stopped, step by alloc"; check $? "and stepping stays by allocation"
tm send-keys -t ml f
wait_for "A function returned" 10; check $? "f runs to a return without debug info too (from the symbols)"
screen | grep -qF "stopped, step by alloc"; check $? "and stops there"
quit "no debug info"

e2e_done
