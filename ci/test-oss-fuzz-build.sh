#!/usr/bin/env bash
# Runs ci/oss-fuzz/build.sh here, with the OSS-Fuzz environment variables set
# to local values (clang, libstdc++ instead of OSS-Fuzz's libc++, libFuzzer via
# -fsanitize=fuzzer, ASan + UBSan as OSS-Fuzz's address/undefined builds), then
# checks that every target, seed-corpus zip, dictionary and options file
# landed in $OUT and that each target runs its seed corpus without a crash.
#
#   ci/test-oss-fuzz-build.sh [WORKDIR]     (default: a temporary directory)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work/src" "$work/out" "$work/work"
ln -sfn "$root" "$work/src/quantcheck"

export CC=clang CXX=clang++
export SANITIZER_FLAGS="-fsanitize=address,undefined,float-cast-overflow,float-divide-by-zero -fno-sanitize-recover=all"
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=fuzzer-no-link $SANITIZER_FLAGS"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
export SRC="$work/src" OUT="$work/out" WORK="$work/work"

echo "build.sh with CC=$CC CXX=$CXX OUT=$OUT"
bash "$root/ci/oss-fuzz/build.sh"

targets=(fuzz_case_bytes fuzz_case_flatbuffer fuzz_differential fuzz_exact_division)
[ -d "$root/runtime/src" ] && targets+=(fuzz_requantize fuzz_layer)
[ -d "$root/model/src/checks" ] && targets+=(fuzz_model)
fail=0
for t in "${targets[@]}"; do
  for f in "$t" "${t}_seed_corpus.zip" "$t.dict" "$t.options"; do
    [ -s "$OUT/$f" ] || { echo "MISSING $OUT/$f"; fail=1; }
  done
  [ -x "$OUT/$t" ] || { echo "NOT EXECUTABLE $OUT/$t"; fail=1; continue; }
  rm -rf "$work/seeds/$t" && mkdir -p "$work/seeds/$t"
  unzip -q -o "$OUT/${t}_seed_corpus.zip" -d "$work/seeds/$t"
  n=$(ls "$work/seeds/$t" | wc -l)
  [ "$n" -gt 0 ] || { echo "EMPTY seed corpus for $t"; fail=1; }
  # Every seed once, then a few fixed-seed mutations, with the shipped dictionary.
  if QUANTCHECK_FUZZ_POLICIES=reference,reference-uint8,reference-int16 \
     "$OUT/$t" -seed=1 -runs=2000 -dict="$OUT/$t.dict" "$work/seeds/$t" >"$work/$t.log" 2>&1; then
    echo "ok   $t: binary, $n seeds, dict, options; 2000 runs clean"
  else
    echo "FAIL $t:"; tail -20 "$work/$t.log"; fail=1
  fi
done
exit $fail
