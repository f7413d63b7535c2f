#!/usr/bin/env bash
# Minimises corpus/<target>/ with libFuzzer -merge=1 and never drops a named
# regression case: the named cases (corpus/regression/, listed in
# corpus/MANIFEST.tsv) seed the merge as the coverage already kept, so only
# inputs that add coverage beyond them survive in corpus/<target>/, and the
# named cases themselves are never moved, rewritten or deleted. The script
# ends by checking that every case of the manifest is still in place.
#
#   ci/fuzz-minimize.sh [-b BUILD_DIR] [TARGET...]      (BUILD_DIR: a fuzz build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/fuzz"
while getopts "b:" opt; do
  case "$opt" in
    b) build="$OPTARG" ;;
    *) echo "usage: $0 [-b BUILD_DIR] [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_case_bytes fuzz_case_flatbuffer fuzz_differential fuzz_exact_division fuzz_model fuzz_requantize fuzz_layer)

named_before=$(ls "$root/corpus/regression" | sort | sha256sum)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  [ -x "$bin" ] || { echo "skip $t: $bin not built"; continue; }
  [ -d "$root/corpus/$t" ] || continue
  mkdir -p "$work/$t/merged"
  # The named cases first: they define the coverage the corpus already has.
  baseline=()
  case "$t" in
    fuzz_case_flatbuffer | fuzz_differential)
      cp "$root"/corpus/regression/*.qcase "$work/$t/merged/"
      baseline=("$work/$t/merged"/*.qcase) ;;
  esac
  # The named runtime cases (corpus/RUNTIME_MANIFEST.tsv) keep their names.
  mkdir -p "$work/$t/keep"
  while IFS=$'\t' read -r name target _; do
    case "$name" in '#'* | '') continue ;; esac
    if [ "$target" = "$t" ]; then cp "$root/corpus/$t/$name" "$work/$t/keep/"; fi
  done <"$root/corpus/RUNTIME_MANIFEST.tsv"
  before=$(find "$root/corpus/$t" -type f | wc -l)
  "$bin" -merge=1 "$work/$t/merged" "$root/corpus/$t" >"$work/$t/log" 2>&1 || {
    tail -20 "$work/$t/log" >&2; echo "merge failed for $t" >&2; exit 1; }
  for f in "${baseline[@]}"; do rm -f "$f"; done  # they stay in corpus/regression/
  find "$root/corpus/$t" -type f -delete
  cp "$work/$t/merged/"* "$root/corpus/$t/" 2>/dev/null || true
  cp "$work/$t/keep/"* "$root/corpus/$t/" 2>/dev/null || true
  after=$(find "$root/corpus/$t" -type f | wc -l)
  echo "$t: $before -> $after inputs"
done

# Never drop a named case: the regression folder is untouched and complete.
[ "$(ls "$root/corpus/regression" | sort | sha256sum)" = "$named_before" ] || {
  echo "error: corpus/regression changed during minimisation" >&2; exit 1; }
while IFS=$'\t' read -r name _; do
  case "$name" in '#'* | '') continue ;; esac
  for ext in qcase json; do
    [ -f "$root/corpus/regression/$name.$ext" ] || {
      echo "error: named case $name.$ext missing" >&2; exit 1; }
  done
done <"$root/corpus/MANIFEST.tsv"
echo "named regression cases: all present"
