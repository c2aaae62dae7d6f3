#!/bin/sh
# make bench: runs every bench/bench_*.sh in turn.  Each prints a table of
# figures measured side by side in the same run, with ratios.
set -u
cd "$(dirname "$0")/.."
mkdir -p bench/out
status=0
for b in bench/bench_*.sh; do
  [ -e "$b" ] || continue
  echo "=== $b"
  sh "$b" || status=1
done
exit $status
