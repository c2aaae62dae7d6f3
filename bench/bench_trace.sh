#!/bin/sh
# bench_trace: what tracing costs.  On the allocator workload (bench/
# workload.c, 2M mixed calls) and on a recursion workload (bench/recurse.c,
# 1M events), measured side by side in one run with hyperfine: native,
# `memlens trace -q --alloc=libc`, `memlens trace --json -o FILE`, and the
# peers a user would pick instead where installed (heaptrack, valgrind
# massif, ltrace on a smaller count, scaled per event).  Then step mode's
# cost per stop beside a bare ptrace stop-and-continue loop.
# Goals: trace -q <= 1.3x native and <= 0.35x heaptrack; --json -o <= 2x
# native; step <= 1.25x the bare stop.
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
command -v hyperfine >/dev/null || { echo "bench_trace: hyperfine is missing (apt-get install hyperfine)"; exit 0; }
make -s memlens libmemlens-shim.so build/libmemlens.a >/dev/null
CFLAGS_B="-O2 -g -fno-builtin-malloc -fno-omit-frame-pointer"
cc $CFLAGS_B -o $OUT/workload bench/workload.c
cc $CFLAGS_B -o $OUT/recurse bench/recurse.c
cc -O2 -o $OUT/ptrace_loop bench/ptrace_loop.c
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o $OUT/step_run bench/step_run.c build/libmemlens.a \
  $(pkg-config --libs libdw libelf) -lpthread
ML=./memlens
export MEMLENS_SHIM="$PWD/libmemlens-shim.so"
RUNS=${BENCH_RUNS:-5}

# Events a run makes: the sum of the calls in memlens's summary.
events() {
  $ML trace -q --json --alloc=libc "$@" 2>&1 >/dev/null | grep '"type":"summary"' |
    sed 's/.*"calls":{\([^}]*\)}.*/\1/' | tr ',' '\n' | sed 's/.*://' |
    awk '{ s += $1 } END { print s + 0 }'
}

# mean wall seconds of one command (hyperfine, RUNS runs, 1 warm-up)
mean() {
  hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-csv $OUT/hf.csv "$1" >/dev/null 2>&1 ||
    { echo "nan"; return; }
  sed -n 2p $OUT/hf.csv | awk -F, '{ printf "%.4f", $2 }'
}

row() { # name seconds native_seconds events
  awk -v n="$1" -v s="$2" -v b="$3" -v e="$4" 'BEGIN {
    if (s == "nan") { printf "  %-40s %10s\n", n, "failed"; exit }
    printf "  %-40s %9.3f s %8.2fx %10.0f ns/event\n", n, s, s / b, s * 1e9 / e }'
}

bench_one() { # label program args...
  label=$1; shift
  ev=$(events "$@")
  echo "--- $label: $* ($ev events, $RUNS runs each, mean wall time)"
  nat=$(mean "$*")
  row "native" "$nat" "$nat" "$ev"
  q=$(mean "$ML trace -q --alloc=libc $*")
  row "memlens trace -q --alloc=libc" "$q" "$nat" "$ev"
  j=$(mean "$ML trace --json -o $OUT/trace.jsonl --alloc=libc $*")
  row "memlens trace --json -o FILE --alloc=libc" "$j" "$nat" "$ev"
  jt=$(mean "$ML trace --json -o $OUT/trace.jsonl $*")
  row "memlens trace --json -o FILE (teach)" "$jt" "$nat" "$ev"
  ht=nan
  if command -v heaptrack >/dev/null; then
    ht=$(mean "heaptrack -o $OUT/heaptrack.out $*")
    row "heaptrack" "$ht" "$nat" "$ev"
  fi
  if command -v valgrind >/dev/null; then
    ms=$(mean "valgrind -q --tool=massif --massif-out-file=$OUT/massif.out $*")
    row "valgrind massif" "$ms" "$nat" "$ev"
  fi
  echo "  goals: trace -q $(awk -v a="$q" -v b="$nat" 'BEGIN{printf "%.2fx native (<= 1.30)", a/b}');" \
       "$(awk -v a="$q" -v b="$ht" 'BEGIN{ if (b == "nan") print "heaptrack missing"; else printf "%.2fx heaptrack (<= 0.35)", a/b}');" \
       "--json -o $(awk -v a="$j" -v b="$nat" 'BEGIN{printf "%.2fx native (<= 2.00)", a/b}')"
}

bench_one "allocator workload" $OUT/workload 2000000
bench_one "recursion workload" $OUT/recurse 2000

# ltrace stops at every call (~100 us each): a small count, scaled per event
if command -v ltrace >/dev/null; then
  small=2000
  ev=$(events $OUT/workload $small)
  nat=$(mean "$OUT/workload 2000000")
  natev=$(events $OUT/workload 2000000)
  lt=$(mean "ltrace -o /dev/null -e malloc+calloc+realloc+free $OUT/workload $small")
  echo "--- ltrace on $OUT/workload $small ($ev events), per event against native's per event"
  awk -v s="$lt" -v e="$ev" -v b="$nat" -v be="$natev" 'BEGIN {
    printf "  %-40s %9.3f s %8.0fx %10.0f ns/event\n", "ltrace", s, (s / e) / (b / be), s * 1e9 / e }'
fi

# step mode: a stop per event, tracer and program on one CPU, against the
# bare ptrace stop-and-continue, alternated three times (medians)
echo "--- step mode: cost per stop (median of 3, alternated)"
: >$OUT/bare.txt; : >$OUT/step.txt
for i in 1 2 3; do
  $OUT/ptrace_loop 100000 | awk '{ print $2 }' >>$OUT/bare.txt
  $OUT/step_run $OUT/recurse 200 | tail -n 1 | awk '{ print $2 }' >>$OUT/step.txt
done
bare=$(sort -n $OUT/bare.txt | sed -n 2p)
step=$(sort -n $OUT/step.txt | sed -n 2p)
awk -v b="$bare" -v s="$step" 'BEGIN {
  printf "  %-40s %10.0f ns/stop\n", "bare ptrace stop + continue", b
  printf "  %-40s %10.0f ns/stop %6.2fx bare (<= 1.25)\n", "memlens step mode (event + model)", s, s / b }'
