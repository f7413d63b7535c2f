#!/bin/sh
# Manifest check of one named runtime case (corpus/RUNTIME_MANIFEST.tsv):
#   check_runtime_case.sh TARGET INPUT CHECK...
# Replays INPUT with QUANTCHECK_FUZZ_REPORT=1 (one line per profile: outputs and
# flags); each CHECK is an extended regex that must match some line, or, with a
# leading '!', no line. Exit 0 when all hold, 1 otherwise (the report is printed).
set -u
target="$1"; input="$2"; shift 2
[ -f "$input" ] || { echo "missing case file: $input"; exit 1; }
out="$(QUANTCHECK_FUZZ_REPORT=1 "$target" "$input" 2>&1)" || { echo "$out"; echo "replay failed"; exit 1; }
status=0
for check in "$@"; do
  case "$check" in
    !*) if printf '%s\n' "$out" | grep -qE -- "${check#!}"; then echo "FAIL (matched): $check"; status=1; fi ;;
    *) if ! printf '%s\n' "$out" | grep -qE -- "$check"; then echo "FAIL (no line): $check"; status=1; fi ;;
  esac
done
[ "$status" -eq 0 ] || printf '%s\n' "$out"
exit "$status"
