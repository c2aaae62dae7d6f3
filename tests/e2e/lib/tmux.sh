# tests/e2e/lib/tmux.sh: what the tmux end-to-end scripts share, sourced
# (not run: run-all.sh runs tests/e2e/*.sh only).  It sets up a private
# temporary folder $D (which also holds the tmux sockets, so nothing is
# left in /tmp), the counters, and helpers to drive one tmux server per
# run and read its screen back.
#   e2e_setup NAME FILES...  skips the script (exit 0) when tmux or a FILE
#                            is missing; else sets D, SOCK, BIN, run=0
#   tm ARGS...               tmux on the current run's server
#   screen                   the pane's text
#   wait_for TEXT [SECS]     polls the pane until TEXT shows (prints it if not)
#   leftovers                processes running one of our copies "$D"/*_target*
#   no_leftovers NAME        checks that none is left (after waiting a little)
#   e2e_done                 prints the closing line and sets the exit status
: "${MEMLENS_BIN:=./memlens}"
pass=0; fail=0; skip=0
ok()   { pass=$((pass + 1)); echo "ok - $1"; }
bad()  { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if [ "$1" = 0 ]; then ok "$2"; else bad "$2"; fi; }

e2e_setup() {
  name=$1; shift
  if ! command -v tmux >/dev/null 2>&1; then
    echo "tmux is not installed: skipped"
    echo "0 passed, 0 failed, 1 skipped"; exit 0
  fi
  for f in "$@"; do
    if [ ! -e "$f" ]; then
      echo "$f is missing: run make all targets"
      echo "0 passed, 0 failed, 1 skipped"; exit 0
    fi
  done
  D=$(mktemp -d)
  export TMUX_TMPDIR="$D"
  SOCK="memlens-$name-$$"
  run=0
  BIN=$(cd "$(dirname "$MEMLENS_BIN")" && pwd)/$(basename "$MEMLENS_BIN")
  trap e2e_cleanup EXIT INT TERM
}
e2e_cleanup() {
  i=0; while [ $i -le $run ]; do tmux -L "$SOCK-$i" kill-server 2>/dev/null; i=$((i + 1)); done
  rm -rf "$D"
}
tm() { tmux -L "$SOCK-$run" "$@"; }
screen() { tm capture-pane -p -t ml; }
wait_for() {
  n=0; lim=$(( ${2:-10} * 20 ))
  while [ $n -lt $lim ]; do
    screen 2>/dev/null | grep -qF -- "$1" && return 0
    n=$((n + 1)); sleep 0.05
  done
  echo "# waited for '$1'; the screen was:"; screen | sed 's/^/#  /'
  return 1
}
leftovers() {
  c=0
  for p in /proc/[0-9]*; do
    e=$(readlink "$p/exe" 2>/dev/null) || continue
    case "$e" in "$D"/*_target*) c=$((c + 1)) ;; esac
  done
  echo $c
}
no_leftovers() {
  n=0; while [ "$(leftovers)" != 0 ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.05; done
  [ "$(leftovers)" = 0 ]; check $? "$1: no target process is left"
}
e2e_done() {
  echo "$pass passed, $fail failed, $skip skipped"
  [ "$fail" = 0 ]
}
