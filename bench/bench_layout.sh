#!/bin/sh
# bench_layout: `memlens layout --json` against `eu-readelf -S -s -l` on a
# binary with 300,000 symbols (150k static functions, 150k static objects),
# side by side in one hyperfine run.  The goal: ours takes at most half of
# eu-readelf's time.  The generated program is cached under bench/out/.
set -eu
cd "$(dirname "$0")/.."
: "${BENCH_SYMS:=150000}"
out=bench/out
bin=$out/many_symbols
mkdir -p "$out"
for t in hyperfine eu-readelf; do
  command -v $t >/dev/null || { echo "bench_layout: $t is not installed (skipped)"; exit 0; }
done
if [ ! -x "$bin" ] || [ "$(cat "$out/many_symbols.n" 2>/dev/null)" != "$BENCH_SYMS" ]; then
  echo "bench_layout: generating a program with $((2 * BENCH_SYMS)) symbols (once)"
  awk -v n="$BENCH_SYMS" 'BEGIN {
    for (i = 0; i < n; i++) {
      printf "static int obj_%d = %d;\n", i, i
      printf "__attribute__((noinline, used)) static int fn_%d(int x) { return x + obj_%d; }\n", i, i
    }
    print "int main(void) { return 0; }"
  }' > "$out/many_symbols.c"
  cc -O0 -o "$bin" "$out/many_symbols.c"
  echo "$BENCH_SYMS" > "$out/many_symbols.n"
fi
nsyms=$(eu-readelf -s "$bin" | grep -c ' FUNC \| OBJECT ' || true)
echo "bench_layout: $bin, $nsyms function and object symbols"
hyperfine -N --warmup 3 --min-runs 15 --export-json "$out/bench_layout.json" \
  -n memlens "./memlens layout --json $bin" \
  -n eu-readelf "eu-readelf -S -s -l $bin" >"$out/bench_layout.txt" 2>&1 || {
  cat "$out/bench_layout.txt"; exit 1; }
python3 - "$out/bench_layout.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
m, e = r["memlens"]["mean"], r["eu-readelf"]["mean"]
print("%-34s %9s %9s" % ("command", "mean ms", "stddev"))
for name in ("memlens", "eu-readelf"):
    x = r[name]
    print("%-34s %9.1f %9.1f" % (name + (" layout --json" if name == "memlens" else " -S -s -l"),
                                  x["mean"] * 1e3, x["stddev"] * 1e3))
print("ratio memlens / eu-readelf: %.2fx (goal <= 0.50x): %s" % (m / e, "met" if m / e <= 0.5 else "NOT met"))
PY
