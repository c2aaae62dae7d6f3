#!/bin/sh
# trace_summary.sh: the summary alone (-q) still tells a student what
# happened: a crash names what lay at the faulting address, counts agree
# in number ("1 block", "2 blocks"), and the exit status is 128+signal.
set -u
ML=${MEMLENS_BIN:-./memlens}
pass=0; fail=0
check() { # check WHAT PATTERN OUTPUT
  if printf '%s\n' "$3" | grep -qE -e "$2"; then pass=$((pass + 1)); echo "ok: $1"
  else fail=$((fail + 1)); echo "FAIL: $1: no /$2/ in:"; printf '%s\n' "$3"; fi
}
out=$(timeout 20 "$ML" trace -q tests/targets/t_crash null 2>&1 >/dev/null); rc=$?
check "NULL dereference explained in -q" '^crash: +signal SIGSEGV at 0x[0-9a-f]+: the NULL page' "$out"
[ $rc -eq 139 ] && { pass=$((pass + 1)); echo "ok: exit status 139"; } || { fail=$((fail + 1)); echo "FAIL: rc=$rc"; }
out=$(timeout 20 "$ML" trace -q tests/targets/t_crash uaf 2>&1 >/dev/null)
check "use after free explained in -q" '^crash: .*freed block #[0-9]+' "$out"
out=$(timeout 20 "$ML" trace -q samples/linked_list 2>&1 >/dev/null)
check "one leaked block is '1 block'" '^leaks at exit: 1 block, ' "$out"
out=$(timeout 20 "$ML" trace -q samples/leak 2>&1 >/dev/null)
check "three leaked blocks are '3 blocks'" '^leaks at exit: 3 blocks, ' "$out"
echo "$pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
