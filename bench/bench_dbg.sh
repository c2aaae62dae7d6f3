#!/bin/sh
# bench_dbg: the cost of debug information at a stop (see bench/bench_dbg.c):
# a 50-frame stack decoded with its locals (goal: under 1 ms), a cached
# call-site lookup, and --step=call emulated on samples/recursion with the
# per-stop cost of each level of decoding next to the bare ptrace stop.
set -eu
cd "$(dirname "$0")/.."
make -s build/libmemlens.a tests/targets/dbg_locals samples/recursion >/dev/null
mkdir -p bench/out
cc -O2 -g -std=c11 -D_GNU_SOURCE -Isrc -Itests -o bench/out/bench_dbg bench/bench_dbg.c \
  build/libmemlens.a $(pkg-config --libs libdw libelf)
bench/out/bench_dbg tests/targets/dbg_locals samples/recursion
