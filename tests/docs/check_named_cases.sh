#!/bin/sh
# Every named case of corpus/MANIFEST.tsv has a row in docs/fuzzing.md's table.
# usage: check_named_cases.sh MANIFEST.tsv fuzzing.md
set -eu
status=0
for name in $(grep -v '^#' "$1" | cut -f1); do
  grep -q "^| \`$name\` |" "$2" || { echo "$2: the named-case table lacks $name"; status=1; }
done
exit $status
