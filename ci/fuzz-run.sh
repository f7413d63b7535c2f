#!/usr/bin/env bash
# Runs every libFuzzer target for N seconds each, one after the other (one
# core each; the machine is shared), on a scratch copy of its corpus so the
# repository is never written. Fails on the first crash, leak, timeout or
# sanitizer report; prints each target's exec/s from -print_final_stats.
#
#   ci/fuzz-run.sh [-t SECONDS] [-b BUILD_DIR] [-p POLICIES|all] [-l LOG_DIR] [TARGET...]
#
# BUILD_DIR is a QUANTCHECK_FUZZ=ON build (default build/fuzz, the `fuzz`
# preset). POLICIES is the preset list held (QUANTCHECK_FUZZ_POLICIES); the
# default is the three reference presets, `all` fuzzes every preset (peer
# presets that over-declare a guarantee then crash: that is a finding).
# LOG_DIR, when given, keeps each target's libFuzzer log as LOG_DIR/<target>.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=60
build="$root/build/fuzz"
policies="reference,reference-uint8,reference-int16"
logs=""
while getopts "t:b:p:l:" opt; do
  case "$opt" in
    t) seconds="$OPTARG" ;;
    b) build="$OPTARG" ;;
    p) policies="$OPTARG" ;;
    l) logs="$OPTARG"; mkdir -p "$logs" ;;
    *) echo "usage: $0 [-t SECONDS] [-b BUILD_DIR] [-p POLICIES|all] [-l LOG_DIR] [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_case_bytes fuzz_case_flatbuffer fuzz_differential fuzz_exact_division fuzz_model fuzz_onnx_model fuzz_requantize fuzz_layer)
fi
if [ "$policies" = all ]; then unset QUANTCHECK_FUZZ_POLICIES; else export QUANTCHECK_FUZZ_POLICIES="$policies"; fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  if [ ! -x "$bin" ]; then
    if [ "$t" = fuzz_model ]; then echo "skip $t: not built (model library absent)"; continue; fi
    if [ "$t" = fuzz_onnx_model ]; then echo "skip $t: not built (libonnx absent)"; continue; fi
    echo "error: $bin missing: configure with --preset fuzz and build" >&2
    exit 2
  fi
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  cp -r "$root/corpus/$t/." "$work/$t/corpus/" 2>/dev/null || true
  case "$t" in fuzz_case_flatbuffer | fuzz_differential) cp "$root"/corpus/regression/*.qcase "$work/$t/corpus/" ;; esac
  max_len=$(sed -n 's/^max_len *= *//p' "$root/fuzz/$t.options")
  echo "== $t: ${seconds}s, policies ${QUANTCHECK_FUZZ_POLICIES:-all}"
  if "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      -max_len="$max_len" -dict="$root/fuzz/$t.dict" -artifact_prefix="$work/$t/artifacts/" \
      "$work/$t/corpus" >"$work/$t/log" 2>&1; then
    [ -z "$logs" ] || cp "$work/$t/log" "$logs/$t.log"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t/log")
    added=$(sed -n 's/^stat::new_units_added: *//p' "$work/$t/log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$work/$t/log")
    cov=$(grep -o 'cov: [0-9]*' "$work/$t/log" | tail -1)
    echo "   ok: $runs runs, $rate exec/s, $added new units, $cov, peak rss ${rss} MB"
  else
    status=1
    [ -z "$logs" ] || cp "$work/$t/log" "$logs/$t.log"
    echo "   CRASH in $t; log tail:" >&2
    tail -40 "$work/$t/log" >&2
    mkdir -p "$root/build/fuzz-artifacts"
    cp "$work/$t/artifacts/"* "$root/build/fuzz-artifacts/" 2>/dev/null || true
    echo "   reproducer(s) copied to build/fuzz-artifacts/" >&2
  fi
done
exit $status
