#!/bin/sh
# Runs every test program given on the command line (Check runners and
# tests/e2e/*.sh scripts), then prints one closing line with the totals.
# Check runners print "NN%: Checks: N, Failures: F, Errors: E".
set -u
: "${MEMLENS_BIN:=./memlens}"
export MEMLENS_BIN CK_FORK=yes
pass=0; fail=0; skip=0; broken=""
log=$(mktemp); trap 'rm -f "$log"' EXIT
for t in "$@" tests/e2e/*.sh; do
  [ -e "$t" ] || continue
  case "$t" in *.sh) run="sh $t" ;; *) run="$t" ;; esac
  echo "== $t"
  $run >"$log" 2>&1; rc=$?
  cat "$log"
  line=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
    f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
    e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
    pass=$((pass + n - f - e)); fail=$((fail + f + e))
  else
    # e2e scripts print their own "N passed, N failed, N skipped" line.
    l2=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$l2" ]; then
      pass=$((pass + $(echo "$l2" | cut -d' ' -f1)))
      fail=$((fail + $(echo "$l2" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
      s=$(echo "$l2" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p'); skip=$((skip + ${s:-0}))
    elif [ $rc -eq 77 ]; then skip=$((skip + 1))
    elif [ $rc -eq 0 ]; then pass=$((pass + 1))
    else fail=$((fail + 1))
    fi
  fi
  [ $rc -ne 0 ] && [ $rc -ne 77 ] && broken="$broken $t"
done
[ -n "$broken" ] && echo "failing:$broken"
echo "tests: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && [ -z "$broken" ]
