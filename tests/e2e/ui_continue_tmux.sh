#!/bin/sh
# ui_continue_tmux: c and a key to stop it, end to end in tmux, on a
# program that never ends (t_forever).  The continue runs (the header says
# so and the event count climbs); any key stops it; then each n shows
# exactly one more event and b one fewer, although the program ran ahead
# of the screen while it was continuing.  q then kills the program, and no
# process is left.
set -u
. "$(dirname "$0")/lib/tmux.sh"
e2e_setup uicont tests/targets/t_forever
cp tests/targets/t_forever "$D/forever_target"

# the event number in the header ("event 12 of 40+" or "event 12/40+")
event_no() { screen | head -n 1 | sed -nE 's/.*event ([0-9]+)( of |\/).*/\1/p'; }
# wait_event N: polls until the header shows event N
wait_event() {
  n=0; while [ $n -lt 100 ]; do [ "$(event_no)" = "$1" ] && return 0; n=$((n + 1)); sleep 0.05; done
  echo "# waited for event $1; the header was:"; screen | head -n 1 | sed 's/^/#  /'
  return 1
}

tm new-session -d -s ml -x 120 -y 40 "LC_ALL=C $BIN $D/forever_target; echo MEMLENS-DONE; exec sleep 600"
wait_for "event 1 of 1+"; check $? "t_forever opens stopped"
tm send-keys -t ml c
wait_for "| running" 5; check $? "c runs on (the header says running)"
sleep 0.5
tm send-keys -t ml x
wait_for "stopped, step by" 5; check $? "a key stops the continue"
sleep 0.3
a=$(event_no)
[ -n "$a" ] && [ "$a" -gt 50 ]; check $? "the continue went past many events (at $a)"
ok_steps=0
for i in 1 2 3; do
  tm send-keys -t ml n
  wait_event $((a + i)) && ok_steps=$((ok_steps + 1))
done
[ $ok_steps = 3 ]; check $? "then each n shows exactly one more event ($a -> $(event_no))"
tm send-keys -t ml b
wait_event $((a + 2)); check $? "and b one fewer"
tm send-keys -t ml q
wait_for "Quit and kill it?" 5 >/dev/null && tm send-keys -t ml y
wait_for "MEMLENS-DONE" 10; check $? "q quits"
no_leftovers "continue"
e2e_done
