#!/bin/sh
# The model's history on a 1M-event workload: bytes per live block, seek
# time to random events (goal < 50 ms) beside replaying from the start, and
# loading a 1M-event trace file.  Needs build/libmemlens.a (make all).
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
[ -f build/libmemlens.a ] || make -s build/libmemlens.a
cc -O2 -g -std=c11 -D_GNU_SOURCE -Isrc -o bench/out/bench_model bench/bench_model.c \
  build/libmemlens.a -lm
./bench/out/bench_model "${EVENTS:-1000000}" "${LIVE:-10000}" bench/out/model.jsonl
rm -f bench/out/model.jsonl
