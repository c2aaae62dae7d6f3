#!/bin/sh
# make fuzz: builds the libFuzzer target for the ELF loader with clang
# (-fsanitize=fuzzer,address, the loader sources linked directly), seeds a
# corpus from the samples and the regression inputs, and runs it for
# FUZZ_SECONDS (default 1800).  Crashing inputs land in FUZZ_OUT/crashes/;
# copy each to tests/fuzz/regress/ so `make check` keeps it fixed.
set -eu
cd "$(dirname "$0")/../.."
: "${FUZZ_SECONDS:=1800}"
: "${FUZZ_OUT:=build/fuzz}"
: "${FUZZ_JOBS:=1}"
command -v clang >/dev/null || { echo "fuzz: clang is not installed (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
mkdir -p "$FUZZ_OUT/corpus" "$FUZZ_OUT/crashes"
FUZZ_OUT=$(cd "$FUZZ_OUT" && pwd)
bin="$FUZZ_OUT/fuzz_elfmap"
clang -g -O1 -std=c11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
  $(pkg-config --cflags libelf libdw) \
  -o "$bin" tests/fuzz/fuzz_elfmap.c src/elf/*.c src/util/err.c src/util/json.c src/util/fmt.c \
  $(pkg-config --libs libelf libdw)
make -s samples
for s in samples/*; do
  [ -x "$s" ] && [ -f "$s" ] && cp "$s" "$FUZZ_OUT/corpus/seed-$(basename "$s")"
done
# an object file, and a 32-bit program that needs no 32-bit libc
cc -O0 -g -c -o "$FUZZ_OUT/corpus/seed-segments.o" samples/segments.c
printf 'int g = 1; int b; const int c = 3;\nint main(void) { static int n; return ++n + g + b + c; }\n' |
  cc -m32 -O0 -g -nostdlib -static -no-pie -Wl,-e,main -x c -o "$FUZZ_OUT/corpus/seed-32" - 2>/dev/null || true
cp tests/fuzz/regress/* "$FUZZ_OUT/corpus/" 2>/dev/null || true
echo "fuzz: running $bin for ${FUZZ_SECONDS}s, corpus $FUZZ_OUT/corpus"
jobs=""
# with -jobs libFuzzer writes fuzz-N.log into the current directory
[ "$FUZZ_JOBS" -gt 1 ] && jobs="-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS" && cd "$FUZZ_OUT"
exec "$bin" -max_total_time="$FUZZ_SECONDS" -max_len=1048576 -rss_limit_mb=2048 -timeout=10 \
  -artifact_prefix="$FUZZ_OUT/crashes/" $jobs "$FUZZ_OUT/corpus"
