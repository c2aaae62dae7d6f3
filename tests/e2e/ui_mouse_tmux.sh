#!/bin/sh
# ui_mouse_tmux: mouse clicks end to end in tmux.  tmux passes the
# program's mouse mode on, so an xterm (X10) click written into the pane
# reaches ncurses as a real terminal's would.  On a live linked_list with
# three blocks: a click on block #1's row in the heap list selects it (the
# explanation names it) and Enter opens its details; a click on the
# stack's row in the map selects that region; a click outside any pane
# changes nothing.  Then q, and no process is left.
set -u
. "$(dirname "$0")/lib/tmux.sh"
e2e_setup uimouse samples/linked_list
cp samples/linked_list "$D/ll_target"

# click ROW COL (0-based cells): button 1 pressed and released
click() {
  r=$(( $1 + 33 )); c=$(( $2 + 33 ))
  tm send-keys -t ml -l "$(printf '\033[M %b%b' "\\0$(printf %o $c)" "\\0$(printf %o $r)")"
  tm send-keys -t ml -l "$(printf '\033[M#%b%b' "\\0$(printf %o $c)" "\\0$(printf %o $r)")"
}
# where TEXT: "ROW COL" of the first cell showing TEXT (0-based)
where() {
  screen | awk -v t="$1" '{ i = index($0, t); if (i) { print NR - 1, i - 1; exit } }'
}

tm new-session -d -s ml -x 120 -y 40 "LC_ALL=C $BIN $D/ll_target; echo MEMLENS-DONE; exec sleep 600"
wait_for "event 1 of 1+"; check $? "linked_list opens stopped"
k=0
while [ $k -lt 12 ] && [ "$(screen | grep -c 'malloc(16) = ')" -lt 3 ]; do
  k=$((k + 1)); tm send-keys -t ml Space; sleep 0.2
done
wait_for "#3  "; check $? "three blocks are on the heap"
pos=$(where " #1 ")
[ -n "$pos" ]; check $? "block #1 has a row in the heap list"
screen | grep -qF "Block #1:" && bad "block #1 is not selected before the click"
click $pos
wait_for "Block #1: 16 B asked for"; check $? "a click on block #1's row selects it"
tm send-keys -t ml Enter
wait_for "*Block #1 "; check $? "Enter then opens block #1's details"
screen | grep -qF "bytes now (16 of 16 B, from the live program)"; check $? "with its bytes"
tm send-keys -t ml Escape
sleep 0.2
pos=$(where "rw-p stack")
[ -n "$pos" ]; check $? "the map has a stack row"
click $pos
wait_for "*Memory map"; check $? "a click in the map focuses it"
screen | tail -n 3 | grep -q "the stack: one frame per active function call"; check $? "and the explanation turns to the stack region"
before=$(screen)
click 39 119
sleep 0.3
[ "$(screen)" = "$before" ]; check $? "a click on the key line changes nothing"
tm send-keys -t ml q
wait_for "Quit and kill it?" 5 >/dev/null && tm send-keys -t ml y
wait_for "MEMLENS-DONE" 10; check $? "q quits"
no_leftovers "mouse"
e2e_done
