#!/bin/sh
# ui_tmux: the screen end to end in a real terminal (tmux).  memlens runs on
# samples/linked_list inside a pane, wrapped by a script that records
# `stty -a` before and after; the script polls capture-pane (no fixed
# sleeps) and checks: the first event, stepping forward and back (back
# gives exactly the earlier screen), a block's details with its bytes,
# the key line whole and every line inside the window at 120x40, 160x50
# and 80x24, resizing back, quitting with confirmation; samples/threads
# with its thread tags and the thread named in the sentence; then the same
# exits with Ctrl-C, SIGTERM and SIGHUP to memlens, and a crashing program.
# After each: the terminal settings are unchanged and no process is left.
set -u
. "$(dirname "$0")/lib/tmux.sh"
e2e_setup ui samples/linked_list tests/targets/t_crash
# private copies, so "no process left" looks for exactly ours
cp samples/linked_list "$D/ll_target"
cp tests/targets/t_crash "$D/crash_target"
[ -x tests/targets/t_stdin ] && cp tests/targets/t_stdin "$D/stdin_target"

# The wrapper: stty before, memlens (its pid in mlpid), its status, stty after.
cat >"$D/wrap.sh" <<EOF
#!/bin/sh
# Ctrl-C reaches the whole foreground group: the wrapper must outlive it.
trap ':' INT
ulimit -c 0
stty -a >"$D/stty.before"
sh -c 'echo \$\$ >"$D/mlpid"; exec "\$0" "\$@"' "$BIN" "\$@"
echo \$? >"$D/status"
stty -a >"$D/stty.after"
echo "WRAPPER-DONE"
exec sleep 600
EOF

wait_file() {
  n=0; while [ $n -lt 200 ] && [ ! -s "$1" ]; do n=$((n + 1)); sleep 0.05; done
  [ -s "$1" ]
}
start() { # start COLS ROWS ARGS...
  cols=$1; rows=$2; shift 2
  rm -f "$D/status" "$D/stty.before" "$D/stty.after" "$D/mlpid"
  tm kill-server 2>/dev/null
  run=$((run + 1))   # a fresh server each time: no race with the last one
  tm new-session -d -s ml -x "$cols" -y "$rows" "sh $D/wrap.sh $*"
}
finish() { # finish NAME EXPECTED_STATUS
  wait_file "$D/status"; st=$(cat "$D/status" 2>/dev/null)
  [ "$st" = "$2" ]; check $? "$1: memlens exits with $2 (got ${st:-none})"
  wait_file "$D/stty.after"
  cmp -s "$D/stty.before" "$D/stty.after"; check $? "$1: stty -a is the same before and after"
  no_leftovers "$1"
}

# ---- 1. stepping, details, resize, quit ----------------------------------
start 120 40 "$D/ll_target"
wait_for "event 1 of 1+"; check $? "opens stopped at the first event"
screen | grep -qF "Memory map" && screen | grep -qF "Program output"; check $? "the panes are drawn"
tm send-keys -t ml Space
wait_for "event 2 of 2+"; check $? "space steps to the next event"
# the tracer may report a memory map change first: step on to the malloc
k=2
while [ $k -lt 5 ] && ! screen | grep -qF "malloc(16) took 32 bytes from the heap"; do
  k=$((k + 1)); tm send-keys -t ml Space; wait_for "event $k of $k+" >/dev/null
done
wait_for "malloc(16) took 32 bytes from the heap"; check $? "the explanation names the malloc"
wait_for "frames, innermost first"; check $? "the stack pane lists the live frames"
screen | grep -qE "main +[0-9.]+ (B|KiB)"; check $? "main's frame is there with its size"
k1=$((k + 1)); k2=$((k + 2))
tm send-keys -t ml n; wait_for "event $k1 of $k1+" >/dev/null
tm send-keys -t ml Right; wait_for "event $k2 of $k2+" >/dev/null
tm send-keys -t ml b
wait_for "event $k1 of $k2+"; check $? "b steps back"
screen >"$D/a.txt"
tm send-keys -t ml Space; wait_for "event $k2 of $k2+" >/dev/null
tm send-keys -t ml Left; wait_for "event $k1 of $k2+" >/dev/null
screen >"$D/b.txt"
cmp -s "$D/a.txt" "$D/b.txt"; check $? "stepping back gives exactly the earlier screen"
tm send-keys -t ml Enter
wait_for "Block #"; check $? "Enter opens the selected block's details"
screen | grep -qF "bytes now (16 of 16 B, from the live program)"; check $? "the details show the block's bytes"
tm send-keys -t ml Escape
wait_for "n next (alloc)" >/dev/null
# the last row holds the keys whole, help and quit included
screen | tail -n 1 | grep -qE "c continue.*\? help  q quit *$"; check $? "at 120x40 the key line fits"
# every line ends inside the window (no garbage past the panes)
lines_fit() { screen | awk -v c="$1" 'length($0) > c { bad = 1 } END { exit bad }'; }
LC_ALL=C.UTF-8 lines_fit 120; check $? "at 120x40 no line is wider than the window"
tm resize-window -t ml -x 160 -y 50
wait_for "ld-linux-x86-64.so.2 "; check $? "at 160x50 the map shows a library's whole name"
screen | grep -qF "64 KiB at 0x555555559000, 0% payload"; check $? "at 160x50 the heap line has room for the address"
LC_ALL=C.UTF-8 lines_fit 160; check $? "at 160x50 no line is wider than the window"
tm resize-window -t ml -x 80 -y 24
wait_for "[2 Heap]"; check $? "at 80x24 the panes become tabs"
screen | tail -n 1 | grep -qF "? help  q quit"; check $? "at 80x24 the key line still names help and quit"
LC_ALL=C.UTF-8 lines_fit 80; check $? "at 80x24 no line is wider than the window"
tm send-keys -t ml Tab
wait_for "[3 Stack]"; check $? "Tab shows the next pane"
tm resize-window -t ml -x 120 -y 40
wait_for "Memory map"; check $? "back at 120x40 the panes sit side by side"
tm send-keys -t ml c
wait_for "| ended" 20; check $? "c continues to the end"
screen | grep -qF "50 -> 40 -> 30 -> 20 -> 10"; check $? "the program's output is in its pane"
cpu() { awk '{ print $14 + $15 }' "/proc/$(cat "$D/mlpid")/stat"; }
c0=$(cpu); sleep 1; c1=$(cpu)
[ $((c1 - c0)) -lt 20 ]; check $? "idle after the program ended (cpu ticks in 1 s: $((c1 - c0)))"
tm send-keys -t ml g 5 Enter
wait_for "event 5 of "; check $? "g goes to an event"
tm send-keys -t ml q
finish "quit" 0

# ---- 1b. a program with threads: each event says whose it is -------------
if [ -x samples/threads ]; then
  cp samples/threads "$D/thr_target"
  start 120 40 "$D/thr_target"
  wait_for "event 1 of 1+" >/dev/null
  k=1
  while [ $k -lt 20 ] && ! screen | grep -qE "^ Thread t[2-9] \(tid [0-9]+\): "; do
    k=$((k + 1)); tm send-keys -t ml n; wait_for "event $k of $k+" 5 >/dev/null
  done
  screen | grep -qE "^ Thread t[2-9] \(tid [0-9]+\): (malloc|free)"; check $? "threads: the sentence names the thread"
  screen | grep -qE "t[2-9]  malloc\([0-9]+\) = 0x"; check $? "threads: each event carries a thread tag"
  screen | grep -qE "t1  calloc"; check $? "threads: the main thread is t1"
  tm send-keys -t ml q
  wait_for "Quit and kill it?" >/dev/null
  tm send-keys -t ml y
  finish "threads" 0
else
  skip=$((skip + 1)); echo "skip - samples/threads missing"
fi

# ---- 2. quit while the program runs asks first ----------------------------
start 120 40 "$D/ll_target"
wait_for "event 1 of 1+" >/dev/null
tm send-keys -t ml q
wait_for "Quit and kill it?"; check $? "q asks while the program runs"
tm send-keys -t ml y
finish "quit-running" 0

# ---- 3. Ctrl-C ------------------------------------------------------------
start 120 40 "$D/ll_target"
wait_for "event 1 of 1+" >/dev/null
tm send-keys -t ml C-c
finish "Ctrl-C" 130

# ---- 4. SIGTERM and SIGHUP to memlens --------------------------------------
for sig in TERM HUP; do
  start 120 40 "$D/ll_target"
  wait_for "event 1 of 1+" >/dev/null
  wait_file "$D/mlpid"; kill -s $sig "$(cat "$D/mlpid")"
  [ $sig = TERM ] && want=143 || want=129
  finish "SIG$sig" $want
done

# ---- 5. memlens itself crashes: the handler restores, kills, re-raises ----
start 120 40 "$D/ll_target"
wait_for "event 1 of 1+" >/dev/null
wait_file "$D/mlpid"; kill -s SEGV "$(cat "$D/mlpid")"
finish "memlens crash (SIGSEGV)" 139

# ---- 6. a crashing program --------------------------------------------------
start 120 40 "$D/crash_target" null
wait_for "event 1 of 1+" >/dev/null
tm send-keys -t ml c
wait_for "SIGSEGV" 20; check $? "the crash is shown on the screen"
screen | grep -qF "The program crashed with SIGSEGV"; check $? "the crash is explained"
tm send-keys -t ml c
wait_for "killed by SIGSEGV"; check $? "the program's end by the signal is shown"
tm send-keys -t ml b
wait_for "The program crashed with SIGSEGV"; check $? "the last state stays explorable after the crash"
tm send-keys -t ml q
finish "crash" 0

# ---- 7. the program reads its input from the screen -------------------------
if [ -x "$D/stdin_target" ]; then
  start 120 40 "$D/stdin_target"
  wait_for "event 1 of 1+" >/dev/null
  tm send-keys -t ml c
  wait_for "Input for the program"; check $? "the status line says the program waits for input"
  tm send-keys -t ml h e l l o Enter
  wait_for "got: hello"; check $? "the typed line reached the program"
  tm send-keys -t ml q
  finish "input" 0
  # quitting while the program is blocked in its read
  start 120 40 "$D/stdin_target"
  wait_for "event 1 of 1+" >/dev/null
  tm send-keys -t ml c
  wait_for "Input for the program" >/dev/null
  tm send-keys -t ml Escape
  wait_for "The program waits for input"; check $? "Esc gives the keys back to memlens"
  tm send-keys -t ml q
  wait_for "Quit and kill it?"; check $? "q asks while the program waits for input"
  tm send-keys -t ml y
  finish "quit-while-reading" 0
else
  skip=$((skip + 1)); echo "skip - tests/targets/t_stdin not built"
fi

# ---- 8. replay of a recorded trace, on a small terminal --------------------
if [ -f tests/data/teach.jsonl ]; then
  start 80 24 replay tests/data/teach.jsonl
  wait_for "event 1/7"; check $? "replay opens on the first event"
  tm send-keys -t ml Space Space
  wait_for "event 3/7"; check $? "replay steps forward"
  screen >"$D/a.txt"
  tm send-keys -t ml Space; wait_for "event 4/7" >/dev/null
  tm send-keys -t ml b; wait_for "event 3/7" >/dev/null
  screen >"$D/b.txt"
  cmp -s "$D/a.txt" "$D/b.txt"; check $? "replay: stepping back gives exactly the earlier screen"
  tm send-keys -t ml q
  finish "replay" 0
else
  skip=$((skip + 1)); echo "skip - no recorded trace in tests/data"
fi

e2e_done
