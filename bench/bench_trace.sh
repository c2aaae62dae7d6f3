#!/bin/sh
# bench_trace: what tracing costs.  On the allocator workload (bench/
# workload.c, 2M mixed calls) and on a recursion workload (bench/recurse.c,
# 1M events), measured side by side in one run with hyperfine: native,
# `memlens trace -q --alloc=libc`, `memlens trace --json -o FILE`, and the
# peers a user would pick instead where installed (heaptrack, valgrind
# massif, ltrace on a smaller count, scaled per event).  Then step mode's
# cost per stop beside a bare ptrace stop-and-continue loop.
# Goals, on the allocator workload (the recursion workload, 7 ns an event
# natively, shows the cost per event): trace -q <= 1.3x native and
# <= 0.35x heaptrack; --json -o <= 2x
# native (shown with --alloc=libc and with the default teach allocator);
# step <= 1.25x the bare stop.  The goals are printed twice: from
# hyperfine's runs (each command's runs in a row) and from alternated
# rounds (each command once per round), the steadier on a shared machine.
# The trace file is deleted before each --json -o run (see mean), and its
# size is printed per event.
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

# "WALL:CPU" of one command: median wall seconds and mean user+system CPU
# seconds of the whole process tree (hyperfine, RUNS runs, 1 warm-up).
# The median, not the mean: on these shared VMs one run in ten can take
# twice as long, for the program alone as much as traced.  On a loaded
# machine the CPU column is the steadier of the two.  A second
# argument is run before each run, untimed (hyperfine --prepare), then
# sync: the trace file is deleted there, because truncating the previous
# run's hundreds of megabytes on open is the file system's work, not
# tracing, and that work is over before the clock starts.
mean() {
  hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-csv $OUT/hf.csv \
    --prepare "sh -c '${2:-true}; sync'" "$1" >/dev/null 2>&1 ||
    { echo "nan:nan"; return; }
  sed -n 2p $OUT/hf.csv | awk -F, '{ printf "%.4f:%.4f", $4, $5 + $6 }'
}

row() { # name WALL:CPU native_WALL:CPU events
  awk -v n="$1" -v s="$2" -v b="$3" -v e="$4" 'BEGIN {
    split(s, x, ":"); split(b, y, ":")
    if (x[1] == "nan") { printf "  %-40s %10s\n", n, "failed"; exit }
    printf "  %-40s %8.3f s %7.2fx %8.0f ns/ev | cpu %7.3f s %7.2fx\n", n, x[1], x[1] / y[1],
      x[1] * 1e9 / e, x[2], x[2] / (y[2] > 0 ? y[2] : 1e-9) }'
}

ratio() { # WALL:CPU WALL:CPU -> "wall Ax, cpu Bx"
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, ":"); split(b, y, ":")
    if (y[1] == "nan") { print "missing"; exit }
    printf "wall %.2fx, cpu %.2fx", x[1] / y[1], x[2] / (y[2] > 0 ? y[2] : 1e-9) }'
}

bench_one() { # label program args...
  label=$1; shift
  ev=$(events "$@")
  echo "--- $label: $* ($ev events, $RUNS runs each: median wall time, and mean CPU time of the process tree)"
  nat=$(mean "$*")
  row "native" "$nat" "$nat" "$ev"
  q=$(mean "$ML trace -q --alloc=libc $*")
  row "memlens trace -q --alloc=libc" "$q" "$nat" "$ev"
  j=$(mean "$ML trace --json -o $OUT/trace.jsonl --alloc=libc $*" "rm -f $OUT/trace.jsonl")
  row "memlens trace --json -o FILE --alloc=libc" "$j" "$nat" "$ev"
  jbytes=$(wc -c <$OUT/trace.jsonl 2>/dev/null || echo 0)
  jt=$(mean "$ML trace --json -o $OUT/trace.jsonl $*" "rm -f $OUT/trace.jsonl")
  row "memlens trace --json -o FILE (teach)" "$jt" "$nat" "$ev"
  tbytes=$(wc -c <$OUT/trace.jsonl 2>/dev/null || echo 0)
  ht=nan:nan
  if command -v heaptrack >/dev/null; then
    ht=$(mean "heaptrack -o $OUT/heaptrack.out $*")
    row "heaptrack" "$ht" "$nat" "$ev"
  fi
  if command -v valgrind >/dev/null; then
    ms=$(mean "valgrind -q --tool=massif --massif-out-file=$OUT/massif.out $*")
    row "valgrind massif" "$ms" "$nat" "$ev"
  fi
  awk -v b="$jbytes" -v t="$tbytes" -v e="$ev" 'BEGIN { if (e > 0)
    printf "  trace file: %.0f MB, %.0f bytes per event (--alloc=libc); %.0f MB, %.0f (teach)\n", b / 1e6, b / e, t / 1e6, t / e }'
  # the goals are the allocator workload's; the recursion workload's
  # native costs 7 ns an event, so its ratios only show the cost per event
  [ "$label" = "allocator workload" ] || return 0
  echo "  goal trace -q <= 1.30x native: $(ratio "$q" "$nat")"
  echo "  goal trace -q <= 0.35x heaptrack: $(ratio "$q" "$ht")"
  echo "  goal --json -o <= 2.00x native: $(ratio "$j" "$nat")"
}

# The goals once more, the commands alternated: round after round, each
# command once per round, so a slow minute of a shared machine falls on
# all of them alike; median wall time of each over the rounds.
alternated() { # program args...
  rounds=$RUNS
  : >$OUT/alt.txt
  i=0
  while [ $i -lt "$rounds" ]; do
    for c in native q j jt ht; do
      case $c in
        native) cmd="$*" ;;
        q) cmd="$ML trace -q --alloc=libc $*" ;;
        j) cmd="$ML trace --json -o $OUT/trace.jsonl --alloc=libc $*" ;;
        jt) cmd="$ML trace --json -o $OUT/trace.jsonl $*" ;;
        ht) command -v heaptrack >/dev/null || continue
            cmd="heaptrack -o $OUT/heaptrack.out $*" ;;
      esac
      # the file system's work on the last trace file (its deletion,
      # and its blocks freed) is done before the clock starts, untimed:
      # back to back it fell on whichever command came next
      sync
      t0=$(date +%s%N)
      $cmd >/dev/null 2>&1 || true
      t1=$(date +%s%N)
      rm -f $OUT/trace.jsonl
      echo "$c $(( (t1 - t0) / 1000 ))" >>$OUT/alt.txt
    done
    i=$((i + 1))
  done
  for c in native q j jt ht; do
    grep "^$c " $OUT/alt.txt | awk '{ print $2 }' | sort -n |
      awk -v c=$c '{ v[NR] = $1 } END { if (NR) print c, (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
  done >$OUT/alt_med.txt
  awk -v r="$rounds" '{ m[$1] = $2 } END {
    printf "--- the goals, alternated: %d rounds of native, trace -q, trace --json -o (libc, teach), heaptrack; median wall\n", r
    printf "  native %.0f ms, trace -q %.0f ms, --json -o %.0f ms (teach %.0f ms), heaptrack %.0f ms\n", m["native"] / 1000, m["q"] / 1000, m["j"] / 1000, m["jt"] / 1000, m["ht"] / 1000
    printf "  goal trace -q <= 1.30x native: %.2fx\n", m["q"] / m["native"]
    if (m["ht"]) printf "  goal trace -q <= 0.35x heaptrack: %.2fx\n", m["q"] / m["ht"]
    printf "  goal --json -o <= 2.00x native: %.2fx (--alloc=libc), %.2fx (teach, the default)\n", m["j"] / m["native"], m["jt"] / m["native"] }' $OUT/alt_med.txt
}

bench_one "allocator workload" $OUT/workload 2000000
alternated $OUT/workload 2000000
bench_one "recursion workload" $OUT/recurse 2000

# ltrace stops at every call (~100 us each): a small count, scaled per event
if command -v ltrace >/dev/null; then
  small=2000
  ev=$(events $OUT/workload $small)
  nat=$(mean "$OUT/workload 2000000")
  natev=$(events $OUT/workload 2000000)
  lt=$(mean "ltrace -o /dev/null -e malloc+calloc+realloc+free $OUT/workload $small")
  echo "--- ltrace on $OUT/workload $small ($ev events), per event against native's per event"
  awk -v s="$lt" -v e="$ev" -v b="$nat" -v be="$natev" 'BEGIN { split(s, x, ":"); split(b, y, ":")
    printf "  %-40s %8.3f s %7.0fx %8.0f ns/ev\n", "ltrace", x[1], (x[1] / e) / (y[1] / be), x[1] * 1e9 / e }'
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
