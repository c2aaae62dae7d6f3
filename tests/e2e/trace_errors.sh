#!/bin/sh
# trace_errors.sh: what a student gets for a wrong PROGRAM: one line
# "memlens: WHAT: WHY", exit status 1, at once, and no process left.
set -u
ML=${MEMLENS_BIN:-./memlens}
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/fifo"
printf 'int main(void) { return 0; }\n' > "$tmp/notexec"
expect() { # expect WHAT MESSAGE -- ARGS...
  what=$1; msg=$2; shift 3
  err=$(timeout 10 "$ML" "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -eq 1 ] && printf '%s\n' "$err" | grep -qF -e "$msg"; then
    pass=$((pass + 1)); echo "ok: $what"
  else
    fail=$((fail + 1)); echo "FAIL: $what: rc=$rc, said: $err"
  fi
}
expect "missing program"        "nosuchprog-xyz: no such program"  -- trace nosuchprog-xyz
expect "a directory"            "is a directory, not a program"     -- trace "$tmp"
expect "a FIFO"                 "not a regular file"                -- trace "$tmp/fifo"
expect "not executable"         "not executable"                    -- trace "$tmp/notexec"
expect "no program"             "expected a PROGRAM"                -- trace
expect "bad --alloc"            "--alloc must be 'teach' or 'libc'" -- trace --alloc=foo "$tmp/notexec"
expect "replay of a missing file" "No such file or directory"       -- replay --text "$tmp/none.jsonl"
echo "$pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
