#!/usr/bin/env bash
# The CLI defects of issue 14 (item 4), one check each: what a new user ran,
# and what it must do. Exit codes 0 ok / 1 finding / 2 usage or input error.
set -u
qc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")  # absolute: some checks cd
cases="$2/cases"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {  # check NAME EXPECTED_EXIT ACTUAL_EXIT
  if [ "$2" != "$3" ]; then echo "FAIL $1: exit $3, expected $2"; fail=1; else echo "ok   $1"; fi
}
has() {  # has NAME FILE PATTERN: grep -E PATTERN in FILE
  if grep -Eq -- "$3" "$2"; then echo "ok   $1"; else echo "FAIL $1: no /$3/ in: $(head -c 600 "$2")"; fail=1; fi
}
lacks() {  # lacks NAME FILE PATTERN
  if grep -Eq -- "$3" "$2"; then echo "FAIL $1: /$3/ in: $(head -c 600 "$2")"; fail=1; else echo "ok   $1"; fi
}
lines() {  # lines NAME FILE N: FILE has exactly N lines
  local n; n=$(wc -l <"$2")
  if [ "$n" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: $n lines, expected $3: $(head -c 600 "$2")"; fail=1; fi
}
finite='{"op":"fully_connected","input_scale":0.5,"weights":{"shape":[1,2],"data":[0.5,-0.25]},"bias":[0.125]}'

# --- replay ---------------------------------------------------------------------------------
"$qc" audit -p reference --property non_finite_rejected --replay "$finite" >"$tmp/out" 2>"$tmp/err"
check "replay: finite case under non_finite_rejected" 0 $?
has "replay: not applicable" "$tmp/out" "non_finite_rejected: not applicable"
"$qc" audit -p reference --replay "$finite" >"$tmp/out" 2>"$tmp/err"
check "replay: every property on a finite case" 0 $?
lacks "replay: no FAIL" "$tmp/out" "FAIL"
"$qc" audit -p reference --property bias_round_trip --replay "$finite" --json -o "$tmp/replay.json" >"$tmp/out" 2>"$tmp/err"
check "replay --json -o" 0 $?
[ -s "$tmp/out" ] && { echo "FAIL replay -o still printed on stdout"; fail=1; }
jq -e '.verdicts[0].property == "bias_round_trip" and .verdicts[0].status == "holds"' "$tmp/replay.json" >/dev/null
check "replay --json: verdicts" 0 $?
"$qc" audit -p reference --property bias_round_trip --replay "$finite" --markdown >"$tmp/out"
has "replay --markdown" "$tmp/out" "^\| policy \| property"
"$qc" audit -p reference --replay "$finite" --power >"$tmp/out" 2>"$tmp/err"
check "replay with --power refused" 2 $?

# --- plot / power interplay -----------------------------------------------------------------
"$qc" audit -p reference --plot "$tmp/p.svg" -o "$tmp/x" 2>"$tmp/err"; check "--plot with -o refused" 2 $?
has "--plot -o message" "$tmp/err" "--plot does not take -o"
"$qc" audit -p reference --plot "$tmp/p.svg" --json 2>"$tmp/err"; check "--plot with --json refused" 2 $?
"$qc" audit --power --policy reference 2>"$tmp/err"; check "--power with --policy refused" 2 $?
"$qc" audit --power --property weight_round_trip 2>"$tmp/err"; check "--power with --property refused" 2 $?
"$qc" audit --power --plot "$tmp/p.svg" 2>"$tmp/err"; check "--power with --plot refused" 2 $?
"$qc" audit --power-seeds 3 -p reference --property weight_round_trip --cases 5 2>"$tmp/err" >/dev/null
check "--power-seeds without --power refused" 2 $?

# --- failed writes to stdout ----------------------------------------------------------------
"$qc" policies >/dev/full 2>"$tmp/err"; check "policies >/dev/full" 2 $?
lines "/dev/full: one line" "$tmp/err" 1
has "/dev/full message" "$tmp/err" "cannot write to standard output"
"$qc" quantize "$cases/one_6970.json" >&- 2>"$tmp/err"; check "quantize, stdout closed" 2 $?
"$qc" --version >/dev/full 2>/dev/null; check "--version >/dev/full" 2 $?

# --- float32 limits -------------------------------------------------------------------------
printf '{"op":"fully_connected","input_scale":1,"weights":{"shape":[1,1],"data":[3.4028235e38]},"bias":[0]}' >"$tmp/fltmax.json"
"$qc" quantize -p reference "$tmp/fltmax.json" >"$tmp/out" 2>"$tmp/err"; check "FLT_MAX as numpy prints it" 0 $?
printf '{"op":"fully_connected","input_scale":1,"weights":{"shape":[1,1],"data":["3.4028235e38"]},"bias":[0]}' >"$tmp/fltmax_s.json"
"$qc" quantize -p reference "$tmp/fltmax_s.json" >"$tmp/out" 2>"$tmp/err"; check "FLT_MAX as a string" 0 $?
printf '{"op":"fully_connected","input_scale":1,"weights":{"shape":[1,1],"data":[1e39]},"bias":[0]}' >"$tmp/big.json"
"$qc" quantize "$tmp/big.json" >"$tmp/out" 2>"$tmp/err"; check "1e39 rejected" 2 $?
has "1e39 named as written" "$tmp/err" "1e39 is outside float32"
printf '{"op":"fully_connected","input_scale":1,"weights":{"shape":[1,1],"data":["1e39"]},"bias":[0]}' >"$tmp/big_s.json"
"$qc" quantize "$tmp/big_s.json" >"$tmp/out" 2>"$tmp/err"; check "\"1e39\" rejected" 2 $?
has "\"1e39\" said the same way" "$tmp/err" "1e39 is outside float32"
printf '{"op":"fully_connected","input_scale":1,"weights":{"shape":[1,1],"data":[1e400]},"bias":[0]}' >"$tmp/huge.json"
"$qc" quantize "$tmp/huge.json" >"$tmp/out" 2>"$tmp/err"; check "1e400 rejected" 2 $?
lacks "1e400: no raw json.exception" "$tmp/err" "json.exception"
has "1e400 message" "$tmp/err" "1e400 is outside float32"

# --- unbounded and garbage input ------------------------------------------------------------
timeout 10 "$qc" quantize /dev/zero >"$tmp/out" 2>"$tmp/err"; check "/dev/zero rejected at once" 2 $?
has "/dev/zero message" "$tmp/err" "NUL byte at byte 0"
yes | timeout 10 "$qc" quantize - >"$tmp/out" 2>"$tmp/err"; check "yes | quantize - rejected at once" 2 $?
has "yes message" "$tmp/err" "byte 0 is 'y'"
( printf '{"op":'; head -c 3000000 /dev/zero | tr '\0' ' ' ) >"$tmp/long.json"
QUANTCHECK_MAX_INPUT_MB=1 "$qc" quantize "$tmp/long.json" >"$tmp/out" 2>"$tmp/err"
check "input over QUANTCHECK_MAX_INPUT_MB" 2 $?
has "size cap message" "$tmp/err" "larger than 1 MiB"
"$qc" quantize "$tmp" >"$tmp/out" 2>"$tmp/err"; check "directory as input" 2 $?
has "directory message" "$tmp/err" "is a directory"
lacks "no basic_filebuf" "$tmp/err" "basic_filebuf"

# --- adapters that cannot start -------------------------------------------------------------
"$qc" audit -p reference --property weight_round_trip --cases 5 --adapter /nonexistent/adapter >"$tmp/out" 2>"$tmp/err"
check "adapter that cannot start" 2 $?
lines "adapter failure: one line" "$tmp/err" 1
[ -s "$tmp/out" ] && { echo "FAIL adapter failure printed a report"; fail=1; }
start=$(date +%s)
"$qc" audit -p reference --property weight_round_trip --cases 5 --adapter cat --adapter-start-timeout 0.5 >"$tmp/out" 2>"$tmp/err"
check "--adapter cat with a 0.5 s start timeout" 2 $?
[ $(( $(date +%s) - start )) -le 10 ] || { echo "FAIL --adapter-start-timeout not honoured"; fail=1; }

# --- seed and cases -------------------------------------------------------------------------
"$qc" audit -p reference --property weight_round_trip --seed -1 2>"$tmp/err"; check "--seed -1" 2 $?
has "--seed -1 message" "$tmp/err" "--seed: '-1' is not a whole number"
"$qc" audit -p reference --property weight_round_trip --seed 1234567890123456789012345 2>"$tmp/err"
check "--seed 25 digits" 2 $?
has "--seed range message" "$tmp/err" "out of range"
"$qc" audit -p reference --property weight_round_trip --cases abc 2>"$tmp/err"; check "--cases abc" 2 $?
has "--cases abc message" "$tmp/err" "--cases: 'abc' is not a whole number"
"$qc" audit -p reference --property weight_round_trip --seed 18446744073709551615 --cases 3 >"$tmp/out"
check "--seed UINT64_MAX accepted" 0 $?
has "--seed UINT64_MAX used" "$tmp/out" "seed 18446744073709551615"

# --- messages -------------------------------------------------------------------------------
printf '{"op":"fully_connected","input_scale":1,"weights":{"shape":[18446744073709551615,1],"data":[1]},"bias":[0]}' >"$tmp/shape.json"
"$qc" quantize "$tmp/shape.json" >"$tmp/out" 2>"$tmp/err"; check "shape 2^64-1" 2 $?
has "shape printed as given" "$tmp/err" "18446744073709551615"
lacks "shape not -1" "$tmp/err" " -1 "
/usr/bin/python3 -c 'import json; print(json.dumps({"op": "x" * 5000000, "input_scale": 1, "weights": {"shape": [1, 1], "data": [1]}, "bias": [0]}))' >"$tmp/op.json"
"$qc" quantize "$tmp/op.json" >"$tmp/out" 2>"$tmp/err"; check "50 MB op" 2 $?
[ "$(wc -c <"$tmp/err")" -lt 400 ] || { echo "FAIL long op echoed whole ($(wc -c <"$tmp/err") bytes)"; fail=1; }
printf '{"op":"fully_connected","input_scale":1,"weights":{"shape":[1,1]},"bias":[0]}' >"$tmp/nodata.json"
"$qc" quantize "$tmp/nodata.json" >"$tmp/out" 2>"$tmp/err"; check "schema error" 2 $?
has "schema error names the file" "$tmp/err" "nodata.json: .*missing field 'data'"
"$qc" bogus >"$tmp/out" 2>"$tmp/err"; check "unknown command" 2 $?
has "unknown command named" "$tmp/err" "unknown command 'bogus'"
"$qc" >"$tmp/out" 2>"$tmp/err"; check "no command" 2 $?
has "no command lists them" "$tmp/err" "a command is required \(.*audit"
"$qc" help >"$tmp/out" 2>"$tmp/err"; check "help" 0 $?
has "help prints usage" "$tmp/out" "Subcommands:"
"$qc" help audit >"$tmp/out" 2>"$tmp/err"; check "help audit" 0 $?
has "help audit" "$tmp/out" "--replay"
"$qc" --version >"$tmp/out" 2>"$tmp/err"; check "--version" 0 $?
has "--version prints it" "$tmp/out" "^quantcheck [0-9]+\.[0-9]+\.[0-9]+"

# --- atomic replace keeps mode, writes through symlinks -------------------------------------
echo old >"$tmp/mode.json"; chmod 600 "$tmp/mode.json"
"$qc" quantize "$cases/one_6970.json" -o "$tmp/mode.json"; check "-o over a 0600 file" 0 $?
[ "$(stat -c %a "$tmp/mode.json")" = 600 ] || { echo "FAIL mode $(stat -c %a "$tmp/mode.json"), expected 600"; fail=1; }
echo old >"$tmp/target.json"; ln -s target.json "$tmp/link.json"
"$qc" quantize "$cases/one_6970.json" -o "$tmp/link.json"; check "-o through a symlink" 0 $?
[ -L "$tmp/link.json" ] || { echo "FAIL the symlink was replaced by a file"; fail=1; }
grep -q '"policy"' "$tmp/target.json" || { echo "FAIL the link's target was not written"; fail=1; }

# --- duplicates -----------------------------------------------------------------------------
"$qc" audit -p reference -p reference --property weight_round_trip --property weight_round_trip --cases 3 --json >"$tmp/dup.json"
check "duplicate --policy/--property" 0 $?
jq -e '(.cells | length) == 1 and (.properties | length) == 1' "$tmp/dup.json" >/dev/null
check "duplicates counted once" 0 $?

# --- corpus add / check ---------------------------------------------------------------------
mkdir -p "$tmp/work" && (cd "$tmp/work" && "$qc" corpus add "$cases/one_6970.json" --name x 2>"$tmp/err")
check "corpus add without a corpus" 2 $?
[ -e "$tmp/work/corpus" ] && { echo "FAIL corpus add created ./corpus"; fail=1; }
mkdir -p "$tmp/c" && printf '# name\torigin\tbroke\tnow\tchecks\n' >"$tmp/c/MANIFEST.tsv"
"$qc" corpus add "$cases/one_6970.json" --name .. --root "$tmp/c" 2>"$tmp/err"; check "corpus add --name .." 2 $?
"$qc" corpus add "$cases/nan_weight.json" --name nan-case --root "$tmp/c" >"$tmp/out" 2>"$tmp/err"
check "corpus add of a NaN case" 0 $?
has "NaN case refused by the references" "$tmp/out" "reference:refused"
"$qc" corpus check --root "$tmp/c" >"$tmp/out"; check "corpus check of the NaN case" 0 $?
"$qc" corpus add "$cases/one_6970.json" --name second --root "$tmp/c" >/dev/null 2>&1
rm "$tmp/c/regression/nan-case.json" "$tmp/c/regression/second.qcase"
"$qc" corpus check --root "$tmp/c" >"$tmp/out" 2>"$tmp/err"; check "corpus check with two broken lines" 1 $?
has "first problem listed" "$tmp/out" "FAIL nan-case"
has "second problem listed" "$tmp/out" "FAIL second"
"$qc" corpus add "$cases/one_6970.json" --name x --root /proc >"$tmp/out" 2>"$tmp/err"; check "corpus add --root /proc" 2 $?
lacks "no raw filesystem error" "$tmp/err" "filesystem error"

# --- audit --save-cases and corpus add of a cell --------------------------------------------
"$qc" audit -p luci-int16-2021 --property bias_no_saturation --cases 100 --save-cases "$tmp/saved" >"$tmp/out" 2>"$tmp/err"
check "audit --save-cases (a hazard: exit 0)" 0 $?
[ -f "$tmp/saved/luci-int16-2021__bias_no_saturation.json" ] || { echo "FAIL no saved case: $(ls "$tmp/saved" 2>&1)"; fail=1; }
"$qc" corpus add "$tmp/saved/luci-int16-2021__bias_no_saturation.json" --name saved-cell --root "$tmp/c" >"$tmp/out" 2>"$tmp/err"
check "corpus add of a saved cell" 0 $?
has "its checks name the policy" "$tmp/out" "luci-int16-2021:has=.*bias_saturated"
"$qc" audit -p luci-int16-2021 --property bias_no_saturation --cases 100 --json | jq '.cells[0]' >"$tmp/cell.json"
"$qc" corpus add "$tmp/cell.json" --name json-cell --root "$tmp/c" >"$tmp/out" 2>"$tmp/err"
check "corpus add of an audit --json cell" 0 $?

# --- audit text -----------------------------------------------------------------------------
"$qc" audit -p luci-int16-2021 --property bias_sign_preserved --property bias_no_saturation --cases 200 >"$tmp/out"
n=$(grep -c "property:" "$tmp/out")
[ "$n" -le 2 ] || { echo "FAIL property statement repeated $n times"; fail=1; }

# b = 0 stored as INT64_MIN is "nonzero for a zero bias", not "opposite sign"; a weight_round_trip
# failure says by how much the half-step bound is exceeded (cases from docs/audit.md).
"$qc" audit --policy luci-int16-2021 --property bias_sign_preserved --replay '{"bias":[0.0],"input_scale":3.0518509447574615e-05,"op":"fully_connected","weights":{"data":[2.4846012670307903e-32],"shape":[1,1]}}' >"$tmp/out"
has "zero bias wording" "$tmp/out" "nonzero for a zero bias"
lacks "no opposite sign for b = 0" "$tmp/out" "opposite sign"
# (luci int16: x = 0.0156407356 at s = float32(1/32767) gives q = 513, and
# 513 - x/s - 1/2 = 1/65538 = 1.52583234154e-05 exactly, by Python's fractions.)
"$qc" audit --policy luci-int16-2021 --property weight_round_trip --replay '{"bias":[1.0],"input_scale":0.007874015718698502,"op":"fully_connected","weights":{"data":[1.0,0.0156407356],"shape":[1,2]}}' >"$tmp/out"
has "weight_round_trip excess" "$tmp/out" "bound 0.5, exceeded by 1.52583234154"

# --- progress on a terminal -----------------------------------------------------------------
if command -v script >/dev/null; then
  script -qec "$qc audit -p reference --property weight_round_trip --cases 3 -o $tmp/rep.txt" /dev/null >"$tmp/tty" 2>&1
  has "audit progress on a terminal" "$tmp/tty" "audit: 1/1"
  has "progress line cleared" "$tmp/tty" $'\e\\[K'
fi

exit $fail
