#!/bin/sh
# bench_bytes: what `trace --bytes` costs.  The allocator workload
# (bench/workload.c, 2M mixed calls: about 1M frees and reallocs, each
# carrying up to 56 bytes, and the live blocks' 64 at exit), traced to a
# file with and without --bytes in one hyperfine run, teach and libc
# allocators; then the file sizes.
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
command -v hyperfine >/dev/null || { echo "bench_bytes: hyperfine is missing (apt-get install hyperfine)"; exit 0; }
make -s memlens libmemlens-shim.so >/dev/null
cc -O2 -g -fno-builtin-malloc -fno-omit-frame-pointer -o $OUT/workload bench/workload.c
export MEMLENS_SHIM="$PWD/libmemlens-shim.so"
RUNS=${BENCH_RUNS:-5}
N=${BENCH_BYTES_N:-2000000}

for alloc in teach libc; do
  hyperfine -N --style basic --warmup 1 --runs "$RUNS" --export-csv $OUT/hf_bytes.csv \
    -n "trace --json -o F --alloc=$alloc" "./memlens trace --json -o $OUT/nobytes.jsonl --alloc=$alloc $OUT/workload $N" \
    -n "trace --bytes --json -o F --alloc=$alloc" "./memlens trace --bytes --json -o $OUT/bytes.jsonl --alloc=$alloc $OUT/workload $N" \
    >/dev/null 2>&1 || { echo "bench_bytes: hyperfine failed"; exit 0; }
  awk -F, -v a="$alloc" 'NR == 2 { w = $2; c = $5 + $6 }
    NR == 3 { printf "--bytes, %s: wall %.3f s -> %.3f s (%.2fx), cpu %.3f s -> %.3f s (%.2fx)\n",
              a, w, $2, $2 / w, c, $5 + $6, ($5 + $6) / c }' $OUT/hf_bytes.csv
  a=$(wc -c <$OUT/nobytes.jsonl); b=$(wc -c <$OUT/bytes.jsonl)
  echo "  file: $a -> $b bytes ($(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", b / a }'))"
done
rm -f $OUT/nobytes.jsonl $OUT/bytes.jsonl $OUT/hf_bytes.csv
