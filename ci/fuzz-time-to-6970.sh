#!/usr/bin/env bash
# Time from an empty corpus until the unexcused build (luci-int16-2021 held
# to no_bias_saturation) finds the ONE #6970 saturation: a bias quantized to
# INT64_MIN at a tiny non-zero bias scale. Five fixed seeds, one at a time,
# one core each; prints each time and the median. Only the seed-era preset is
# fuzzed (QUANTCHECK_FUZZ_POLICIES), so nothing else can end a run first.
#
#   ci/fuzz-time-to-6970.sh [-b BUILD_DIR] [-t TARGET] [-l LIMIT_SECONDS]
#   TARGET: fuzz_case_bytes_unexcused (default, raw bytes) or
#           fuzz_case_flatbuffer_unexcused (case files, custom mutator)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/fuzz"
target=fuzz_case_bytes_unexcused
limit=300
while getopts "b:t:l:" opt; do
  case "$opt" in
    b) build="$OPTARG" ;;
    t) target="$OPTARG" ;;
    l) limit="$OPTARG" ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-t TARGET] [-l LIMIT_SECONDS]" >&2; exit 2 ;;
  esac
done
bin="$build/fuzz/$target"
[ -x "$bin" ] || { echo "error: $bin missing (a QUANTCHECK_FUZZ=ON build)" >&2; exit 2; }
export QUANTCHECK_FUZZ_POLICIES=luci-int16-2021
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
times=()
for seed in 1 2 3 4 5; do
  mkdir -p "$work/$seed/corpus"
  start=$(date +%s.%N)
  set +e
  "$bin" -seed=$seed -max_total_time="$limit" -artifact_prefix="$work/$seed/" \
    "$work/$seed/corpus" >"$work/$seed/log" 2>&1
  set -e
  end=$(date +%s.%N)
  t=$(echo "$end - $start" | bc)
  if grep -q 'luci-int16-2021: no_bias_saturation: .* q -9223372036854775808' "$work/$seed/log"; then
    runs=$(grep -o '^#[0-9]*' "$work/$seed/log" | tail -1)
    printf 'seed %d: found #6970 (INT64_MIN) after %.1f s (last status line %s)\n' "$seed" "$t" "$runs"
    times+=("$t")
  else
    printf 'seed %d: not found within %d s\n' "$seed" "$limit"
    tail -5 "$work/$seed/log"
    times+=("$limit")
  fi
done
median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
printf 'median of 5 seeds: %.1f s\n' "$median"
