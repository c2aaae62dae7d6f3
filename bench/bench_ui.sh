#!/bin/sh
# The screen's step time with 100k live blocks and a 1M-event history:
# model seek + view + every pane drawn + the frame written, into a virtual
# terminal at 120x40 and 80x24, stepping forward and back (goal < 16 ms a
# frame).  Needs build/libmemlens.a (make all).
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
[ -f build/libmemlens.a ] || make -s build/libmemlens.a
cc -O2 -g -std=c11 -D_GNU_SOURCE -Isrc -Itests $(pkg-config --cflags ncursesw) \
  -o bench/out/bench_ui bench/bench_ui.c build/libmemlens.a $(pkg-config --libs ncursesw) -lm
./bench/out/bench_ui "${LIVE:-100000}" "${EVENTS:-1000000}" "${STEPS:-200}"
