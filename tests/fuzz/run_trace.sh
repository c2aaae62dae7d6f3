#!/bin/sh
# Fuzzes the trace-file reader (tests/fuzz/fuzz_trace.c) with libFuzzer:
# the model, out/ and util/ sources built by clang with ASan and UBSan,
# seeded with the trace fixtures in tests/data.  Runs FUZZ_SECONDS
# (default 600); crashing inputs land in FUZZ_OUT/crashes-trace/.
set -eu
cd "$(dirname "$0")/../.."
: "${FUZZ_SECONDS:=600}"
: "${FUZZ_OUT:=build/fuzz}"
command -v clang >/dev/null || { echo "fuzz: clang is not installed (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
mkdir -p "$FUZZ_OUT/corpus-trace" "$FUZZ_OUT/crashes-trace"
bin="$FUZZ_OUT/fuzz_trace"
clang -g -O1 -std=c11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -o "$bin" tests/fuzz/fuzz_trace.c src/model/*.c src/out/*.c src/util/err.c src/util/json.c src/util/fmt.c
cp tests/data/*.jsonl "$FUZZ_OUT/corpus-trace/"
echo "fuzz: running $bin for ${FUZZ_SECONDS}s, corpus $FUZZ_OUT/corpus-trace"
exec "$bin" -max_total_time="$FUZZ_SECONDS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
  -artifact_prefix="$FUZZ_OUT/crashes-trace/" "$FUZZ_OUT/corpus-trace"
