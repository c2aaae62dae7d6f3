#!/bin/sh
# bench_alloc: the teach allocator against glibc's, and recording through a
# live ring against no ring, on bench/workload.c (2M mixed calls, bounded
# live set).  Prints times (hyperfine), peak RSS and the ratios side by side.
# Goals: teach <= 1.5x glibc's time and <= 1.25x its peak RSS; recording
# with a reader draining the ring in another process <= 1.3x without.
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
SHIM="$(pwd)/libmemlens-shim.so"
OPS=${BENCH_OPS:-2000000}
RUNS=${BENCH_RUNS:-10}
[ -f "$SHIM" ] && [ -f build/libmemlens.a ] || { echo "bench_alloc: run make first" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench_alloc: hyperfine is not installed (skipped)"; exit 0; }
${CC:-cc} -O2 -g -o "$OUT/workload" bench/workload.c
${CC:-cc} -O2 -g -D_GNU_SOURCE -Isrc -o "$OUT/ringrun" bench/ringrun.c build/libmemlens.a

# Nothing pinned: on a shared machine a pinned reader starves.
PIN=""
W="$OUT/workload $OPS"

# Same checksum everywhere: the allocator changes nothing the program sees.
ref=$($W 2>/dev/null)
for v in "env LD_PRELOAD=$SHIM $W" "env MEMLENS_ALLOC=libc LD_PRELOAD=$SHIM $W" "$OUT/ringrun $SHIM $W"; do
  got=$($v 2>/dev/null)
  [ "$got" = "$ref" ] || { echo "bench_alloc: checksum differs under: $v" >&2; exit 1; }
done

hyperfine -N -w 2 -r "$RUNS" --export-json "$OUT/alloc.json" \
  -n glibc "$PIN $W" \
  -n teach "env LD_PRELOAD=$SHIM $PIN $W" \
  -n teach+ring "$OUT/ringrun $SHIM $W" \
  -n libc-observed "env MEMLENS_ALLOC=libc LD_PRELOAD=$SHIM $PIN $W" \
  -n libc-observed+ring "env MEMLENS_ALLOC=libc $OUT/ringrun $SHIM $W" >"$OUT/alloc.txt" 2>&1 ||
  { cat "$OUT/alloc.txt"; exit 1; }

# Peak RSS (KiB, the largest of 3 runs), as the program itself reports it.
rss() { m=0; for i in 1 2 3; do
  r=$("$@" 2>&1 >/dev/null | sed -n 's/^maxrss_kib //p'); [ "$r" -gt "$m" ] && m=$r; done; echo "$m"; }
rss_glibc=$(rss $W)
rss_teach=$(rss env LD_PRELOAD="$SHIM" $W)
# The program's own CPU time (user + sys, best of 5): what the allocator
# and the recording cost it, whatever else the machine is doing.
cpu() { best=""; for i in 1 2 3 4 5; do
  c=$("$@" 2>&1 >/dev/null | sed -n 's/^cpu_ms //p')
  best=$(echo "$c ${best:-$c}" | awk '{ print ($1 < $2) ? $1 : $2 }'); done; echo "$best"; }
cpu_glibc=$(cpu $W)
cpu_teach=$(cpu env LD_PRELOAD="$SHIM" $W)
cpu_ring=$(cpu "$OUT/ringrun" "$SHIM" $W)

# Mean and best wall time per variant: the best run is the one the rest of
# the machine disturbed least, so ratios are given for both.
get() { jq -r ".results[] | select(.command == \"$1\") | .$2" "$OUT/alloc.json"; }
for v in glibc teach teach+ring libc-observed libc-observed+ring; do
  echo "$v $(get "$v" mean) $(get "$v" min)"
done >"$OUT/alloc.tsv"
awk -v rg="$rss_glibc" -v rt="$rss_teach" -v ops="$OPS" -v runs="$RUNS" \
    -v cg="$cpu_glibc" -v ct="$cpu_teach" -v cr="$cpu_ring" '
  { mean[$1] = $2 * 1000; best[$1] = $3 * 1000 }
  function row(name, key) { printf "%-34s %9.1f %9.1f\n", name, mean[key], best[key] }
  function ratio(name, a, b, goal) {
    printf "  %-28s %5.2fx %5.2fx  (<= %.2f) %s\n", name, mean[a] / mean[b], best[a] / best[b], goal,
      best[a] / best[b] <= goal ? "ok" : "OVER" }
  END {
    printf "workload: %d mixed calls, %d runs each (hyperfine)\n", ops, runs
    printf "%-34s %9s %9s\n", "wall time, ms", "mean", "best"
    row("glibc malloc", "glibc")
    row("teach, preloaded, no ring", "teach")
    row("teach + ring drained by a reader", "teach+ring")
    row("libc observed, no ring", "libc-observed")
    row("libc observed + ring drained", "libc-observed+ring")
    printf "peak RSS: glibc %d KiB, teach %d KiB\n", rg, rt
    printf "ratios %25s %6s %6s\n", "", "mean", "best"
    ratio("teach / glibc time", "teach", "glibc", 1.5)
    ratio("teach: ring / no ring", "teach+ring", "teach", 1.3)
    ratio("libc: ring / no ring", "libc-observed+ring", "libc-observed", 1.3)
    printf "  %-28s %5.2fx         (<= 1.25) %s\n", "teach / glibc peak RSS", rt / rg, rt / rg <= 1.25 ? "ok" : "OVER"
    printf "program CPU time, best of 5: glibc %.1f ms, teach %.1f ms, teach + ring %.1f ms\n", cg, ct, cr
    printf "  %-28s %5.2fx         (<= 1.50)\n", "teach / glibc CPU", ct / cg
    printf "  %-28s %5.2fx         (<= 1.30)\n", "teach: ring / no ring CPU", cr / ct
  }' "$OUT/alloc.tsv"
