#!/bin/sh
# bench_ring: what recording into the event ring costs the program, and
# what block contents at free (RING_MODE_BYTES) add, on bench/workload.c
# (2M mixed calls).  Side by side in one run (hyperfine, alternating is up
# to hyperfine; BENCH_RUNS runs each): native; the shim preloaded with no
# ring (silent); the shim writing into a ring that bench/ringrun.c drains
# (the floor of `memlens trace`), without and with contents; and
# `memlens trace -q` itself.  Wall time medians, and the program's own CPU
# time (median of 5 runs: what the shim costs it, whatever else the
# machine is doing).  Goals: trace -q --alloc=libc <= 1.3x native; bytes
# off costs nothing measurable.
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
SHIM="$(pwd)/libmemlens-shim.so"
OPS=${BENCH_OPS:-2000000}
RUNS=${BENCH_RUNS:-10}
[ -f "$SHIM" ] && [ -f build/libmemlens.a ] && [ -x memlens ] || { echo "bench_ring: run make first" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench_ring: hyperfine is not installed (skipped)"; exit 0; }
${CC:-cc} -O2 -g -fno-builtin-malloc -fno-omit-frame-pointer -o "$OUT/workload" bench/workload.c
${CC:-cc} -O2 -g -D_GNU_SOURCE -Isrc -o "$OUT/ringrun" bench/ringrun.c build/libmemlens.a
W="$OUT/workload $OPS"
export MEMLENS_SHIM="$SHIM"
echo "load before: $(uptime | sed 's/.*load/load/')"

for a in libc teach; do
  hyperfine -N -w 1 -r "$RUNS" --export-csv "$OUT/ring-$a.csv" \
    -n native "$W" \
    -n silent "env MEMLENS_ALLOC=$a LD_PRELOAD=$SHIM $W" \
    -n ring "env MEMLENS_ALLOC=$a $OUT/ringrun $SHIM $W" \
    -n ring+bytes "env MEMLENS_ALLOC=$a RINGRUN_BYTES=1 $OUT/ringrun $SHIM $W" \
    -n trace "./memlens trace -q --alloc=$a $W" >"$OUT/ring-$a.txt" 2>&1 ||
    { cat "$OUT/ring-$a.txt"; exit 1; }
  # the program's own CPU time, median of 5
  cpu() { for i in 1 2 3 4 5; do "$@" 2>&1 >/dev/null | sed -n 's/^cpu_ms //p'; done |
    sort -n | sed -n 3p; }
  c_nat=$(cpu $W)
  c_sil=$(cpu env MEMLENS_ALLOC=$a LD_PRELOAD="$SHIM" $W)
  c_ring=$(cpu env MEMLENS_ALLOC=$a "$OUT/ringrun" "$SHIM" $W)
  c_bytes=$(cpu env MEMLENS_ALLOC=$a RINGRUN_BYTES=1 "$OUT/ringrun" "$SHIM" $W)
  echo "--- alloc=$a: $OPS calls, $RUNS runs each; wall median (hyperfine) | program CPU median of 5"
  awk -F, -v cn="$c_nat" -v cs="$c_sil" -v cr="$c_ring" -v cb="$c_bytes" '
    NR > 1 { med[$1] = $4 * 1000 }
    END {
      split("native silent ring ring+bytes trace", k, " ")
      cpu["native"] = cn; cpu["silent"] = cs; cpu["ring"] = cr; cpu["ring+bytes"] = cb
      for (i = 1; i <= 5; i++) {
        n = k[i]
        if (n in cpu)
          printf "  %-12s %8.1f ms %5.2fx | cpu %7.1f ms %5.2fx\n", n, med[n], med[n] / med["native"], cpu[n], cpu[n] / cn
        else
          printf "  %-12s %8.1f ms %5.2fx |\n", n, med[n], med[n] / med["native"]
      }
      printf "  bytes on / off (ring): wall %.2fx, cpu %.2fx\n", med["ring+bytes"] / med["ring"], cb / cr
    }' "$OUT/ring-$a.csv"
done
echo "load after: $(uptime | sed 's/.*load/load/')"
