#!/bin/sh
# bench_step: what stepping by call costs.  A call/return stop of
# `--step=call` (breakpoint, bookkeeping, event into a history-keeping
# model) beside the bare ptrace stop-and-continue loop (bench/ptrace_loop.c),
# measured alternately in one run, on bench/calls.c (100k stops of a
# recursion that allocates nothing) and on samples/recursion (92 stops: the mean
# carries printf's first allocation and library load, the median does not);
# then --step=line on the sample, and `memlens trace --step=call` end to
# end against plain `memlens trace` (hyperfine).
# Goal: --step=call <= 2x the bare stop.
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
make -s memlens libmemlens-shim.so build/libmemlens.a samples >/dev/null
cc -O0 -g -fno-omit-frame-pointer -o $OUT/calls bench/calls.c
cc -O2 -o $OUT/ptrace_loop bench/ptrace_loop.c
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o $OUT/step_call_run bench/step_call_run.c \
  build/libmemlens.a $(pkg-config --libs libdw libelf) -lpthread
export MEMLENS_SHIM="$PWD/libmemlens-shim.so"

echo "--- cost per stop (median of 3, alternated; ns)"
: >$OUT/bare.txt; : >$OUT/call.txt; : >$OUT/sample.txt; : >$OUT/line.txt
for i in 1 2 3; do
  $OUT/ptrace_loop 100000 | awk '{ print $2 }' >>$OUT/bare.txt
  $OUT/step_call_run call $OUT/calls 200 | tail -n 1 | awk '{ print $2 }' >>$OUT/call.txt
  $OUT/step_call_run call samples/recursion | tail -n 1 | awk '{ print $2, $3 }' >>$OUT/sample.txt
  $OUT/step_call_run line samples/recursion | tail -n 1 | awk '{ print $2 }' >>$OUT/line.txt
done
med() { sort -n "$1" | sed -n 2p | awk '{ print $1 }'; }
medm() { sort -n -k2 "$1" | sed -n 2p | awk '{ print $2 }'; }
awk -v b="$(med $OUT/bare.txt)" -v c="$(med $OUT/call.txt)" -v s="$(med $OUT/sample.txt)" \
    -v sm="$(medm $OUT/sample.txt)" -v l="$(med $OUT/line.txt)" 'BEGIN {
  printf "  %-46s %8.0f ns/stop\n", "bare ptrace stop + continue", b
  printf "  %-46s %8.0f ns/stop %6.2fx bare (<= 2)\n", "--step=call, bench/calls.c (100k stops)", c, c / b
  printf "  %-46s %8.0f ns/stop %6.2fx bare (<= 2)\n", "--step=call, samples/recursion (92 stops), mean", s, s / b
  printf "  %-46s %8.0f ns/stop %6.2fx bare (<= 2)\n", "  the same, median stop", sm, sm / b
  printf "  %-46s %8.0f ns/stop %6.2fx bare\n", "--step=line, samples/recursion", l, l / b }'

if command -v hyperfine >/dev/null; then
  echo "--- memlens trace end to end, samples/recursion (hyperfine, mean)"
  hyperfine -N --style none --warmup 1 --runs "${BENCH_RUNS:-10}" --export-csv $OUT/hf.csv \
    "./memlens trace -q samples/recursion" "./memlens trace -q --step=call samples/recursion" \
    >/dev/null 2>&1 && awk -F, 'NR > 1 { printf "  %-46s %8.2f ms\n", $1, $2 * 1000 }' $OUT/hf.csv
fi
