#!/bin/sh
# bytes_tmux: block contents end to end.  `memlens trace --bytes --json -o F
# samples/linked_list` records the bytes each free left and the live blocks'
# bytes at exit; `memlens replay F` in a tmux pane opens a block's details
# and shows them in hex and ASCII, saying where they come from.  The pane's
# tmux server lives in the test's own folder; no process is left.
set -u
. "$(dirname "$0")/lib/tmux.sh"
e2e_setup bytes samples/linked_list
cp samples/linked_list "$D/ll_target"
# seen TEXT: polls the pane for TEXT for a second, quietly.
seen() {
  n=0; while [ $n -lt 20 ]; do
    screen 2>/dev/null | grep -qF -- "$1" && return 0
    n=$((n + 1)); sleep 0.05
  done
  return 1
}

# ---- record ---------------------------------------------------------------
timeout 30 "$BIN" trace --bytes --json -o "$D/t.jsonl" "$D/ll_target" >/dev/null 2>"$D/err"
check $? "trace --bytes --json -o FILE runs the sample to its end"
grep -q '"options":{[^}]*"bytes":true' "$D/t.jsonl"; check $? "the start line says the trace has bytes"
# the stdout buffer is still live at exit, holding the printed list
grep '^{"type":"exit"' "$D/t.jsonl" | grep -q '"contents":\[{"addr":[0-9]*,"bytes":"3530202d3e20343020'
check $? "the exit line holds the live stdout buffer's bytes (\"50 -> 40\")"
"$BIN" replay --json "$D/t.jsonl" | cmp -s - "$D/t.jsonl"; check $? "replay --json gives the file back byte for byte"
# the first free is of the head node: value 50 (0x32), then its next pointer
grep '^{"type":"free"' "$D/t.jsonl" | head -n 1 | grep -q '"bytes":"32000000000000007090555555550000"'
check $? "the first free line holds the head node's bytes (50, then its next pointer)"
nev=$(($(wc -l <"$D/t.jsonl") - 2))
kfree=$(grep -n '^{"type":"free"' "$D/t.jsonl" | head -n 1 | cut -d: -f1); kfree=$((kfree - 1))
khead=$(grep -n '^{"type":"malloc","seq":[0-9]*,"tid":[0-9]*,"size":16,' "$D/t.jsonl" | tail -n 1 | cut -d: -f1)
khead=$((khead - 1))

# ---- replay: a freed block's details, then a block live at the exit ---------
tm new-session -d -s ml -x 120 -y 40 "$BIN replay $D/t.jsonl; echo REPLAY-DONE \$?; exec sleep 600"
wait_for "event 1 of $nev"; check $? "replay opens at the first event"
# the head node's malloc (the last of the list's): the selection follows
# that block, whose bytes the trace has from its free, later
tm send-keys -t ml g; tm send-keys -t ml "$khead" Enter
wait_for "event $khead of $nev"; check $? "g goes to the head node's malloc"
tm send-keys -t ml Enter
wait_for "bytes as the program left them before free at event $kfree (recorded):"
check $? "the head node's details say its bytes are those left before its free"
screen | grep -qF "that call comes later than this event"; check $? "and that the free comes later"
screen | grep -qF "32 00 00 00 00 00 00 00  70 90 55 55 55 55 00 00  |2.......p.UUUU..|"
check $? "the head node's details show its bytes in hex and ASCII"
tm send-keys -t ml Escape
# at the free itself, Enter opens the block it freed
tm send-keys -t ml g; tm send-keys -t ml "$kfree" Enter
wait_for "event $kfree of $nev"; check $? "g goes to the first free"
tm send-keys -t ml Enter
wait_for "bytes as the program left them before free at event $kfree (recorded):"
check $? "Enter at the free opens the freed node with the bytes it left"
! screen | grep -qF "that call comes later"; check $? "and does not call the free a later one"
tm send-keys -t ml Escape
tm send-keys -t ml g; tm send-keys -t ml "$nev" Enter
wait_for "event $nev of $nev"; check $? "g goes to the exit event"
# the heap pane and the selected block's details (a block is selected
# once one was: else Down selects the first); in the details up/down
# move between blocks: on to the one in use at the exit
tm send-keys -t ml 2 Enter
if ! seen "Esc or Enter: close"; then tm send-keys -t ml Down Enter; fi
wait_for "Esc or Enter: close"; check $? "Enter opens a block's details"
k=0
while [ $k -lt 4 ] && ! seen "bytes at the program's exit"; do k=$((k + 1)); tm send-keys -t ml Up; done
k=0
while [ $k -lt 8 ] && ! seen "bytes at the program's exit"; do k=$((k + 1)); tm send-keys -t ml Down; done
wait_for "bytes at the program's exit, event $nev (recorded):"; check $? "the details say the bytes are the program's at exit, recorded"
screen | grep -qF "35 30 20 2d 3e 20 34 30  20 2d 3e 20 33 30 20 2d  |50 -> 40 -> 30 -|"
check $? "the details show the block's bytes in hex and ASCII"
tm send-keys -t ml Escape q
wait_for "REPLAY-DONE 0"; check $? "q quits the replay with status 0"
no_leftovers "replay"
e2e_done
