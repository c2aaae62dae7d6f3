#!/bin/sh
# bench_ring: what recording into the event ring costs the program, and
# what block contents at free (RING_MODE_BYTES) add, on bench/workload.c
# (2M mixed calls).  Side by side in one run, in alternating rounds (each
# round runs every variant once, so a load that comes and goes on a shared
# machine hits them all alike): native; the shim preloaded with no ring
# (silent); the shim writing into a ring that bench/ringrun.c drains (the
# floor of `memlens trace`), without and with contents; and
# `memlens trace -q` itself.  Medians of the wall time and of the
# program's own CPU time (what the shim costs it, whatever else the
# machine is doing).  BENCH_RUNS rounds (default 11).
# Goals: trace -q --alloc=libc <= 1.3x native; contents off cost nothing.
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
SHIM="$(pwd)/libmemlens-shim.so"
OPS=${BENCH_OPS:-2000000}
RUNS=${BENCH_RUNS:-11}
[ -f "$SHIM" ] && [ -f build/libmemlens.a ] && [ -x memlens ] || { echo "bench_ring: run make first" >&2; exit 1; }
${CC:-cc} -O2 -g -fno-builtin-malloc -fno-omit-frame-pointer -o "$OUT/workload" bench/workload.c
${CC:-cc} -O2 -g -D_GNU_SOURCE -Isrc -o "$OUT/ringrun" bench/ringrun.c build/libmemlens.a
W="$OUT/workload $OPS"
export MEMLENS_SHIM="$SHIM"
now() { date +%s%N; }

# variant NAME ALLOC: runs it once, appends "wall_ms cpu_ms" to its file
variant() {
  case $1 in
    native) set -- "$@" $W ;;
    silent) set -- "$@" env MEMLENS_ALLOC=$2 LD_PRELOAD=$SHIM $W ;;
    ring) set -- "$@" env MEMLENS_ALLOC=$2 $OUT/ringrun $SHIM $W ;;
    bytes) set -- "$@" env MEMLENS_ALLOC=$2 RINGRUN_BYTES=1 $OUT/ringrun $SHIM $W ;;
    trace) set -- "$@" ./memlens trace -q --alloc=$2 $W ;;
  esac
  name=$1 alloc=$2
  shift 2
  t0=$(now)
  cpu=$("$@" 2>&1 >/dev/null | sed -n 's/^cpu_ms //p')
  t1=$(now)
  echo "$(( (t1 - t0) / 1000000 )) ${cpu:-nan}" >>"$OUT/ring-$alloc-$name.txt"
}

med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "load before: $(uptime | sed 's/.*load/load/')"
for a in libc teach; do
  for v in native silent ring bytes trace; do : >"$OUT/ring-$a-$v.txt"; done
  i=0
  while [ $i -lt "$RUNS" ]; do
    for v in native silent ring bytes trace; do variant $v $a; done
    i=$((i + 1))
  done
  echo "--- alloc=$a: $OPS calls, $RUNS alternating rounds; medians of wall time and of the program's CPU"
  nw=$(cut -d' ' -f1 "$OUT/ring-$a-native.txt" | med)
  nc=$(cut -d' ' -f2 "$OUT/ring-$a-native.txt" | med)
  for v in native silent ring bytes trace; do
    w=$(cut -d' ' -f1 "$OUT/ring-$a-$v.txt" | med)
    c=$(cut -d' ' -f2 "$OUT/ring-$a-$v.txt" | med)
    awk -v n="$v" -v w="$w" -v c="$c" -v nw="$nw" -v nc="$nc" 'BEGIN {
      label["native"] = "native"; label["silent"] = "shim, no ring"
      label["ring"] = "shim + drained ring"; label["bytes"] = "ring + contents"
      label["trace"] = "memlens trace -q"
      printf "  %-20s wall %6.0f ms %5.2fx | program cpu %6.1f ms %5.2fx\n", label[n], w, w / nw, c, c / nc }'
  done
  rw=$(cut -d' ' -f1 "$OUT/ring-$a-ring.txt" | med); bw=$(cut -d' ' -f1 "$OUT/ring-$a-bytes.txt" | med)
  rc=$(cut -d' ' -f2 "$OUT/ring-$a-ring.txt" | med); bc=$(cut -d' ' -f2 "$OUT/ring-$a-bytes.txt" | med)
  awk -v rw="$rw" -v bw="$bw" -v rc="$rc" -v bc="$bc" 'BEGIN {
    printf "  contents on / off: wall %.2fx, program cpu %.2fx\n", bw / rw, bc / rc }'
done
echo "load after: $(uptime | sed 's/.*load/load/')"
