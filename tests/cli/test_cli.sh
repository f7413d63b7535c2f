#!/usr/bin/env bash
# CLI contract: exit codes 0 ok / 1 finding / 2 usage or input error, JSON
# fields scripts rely on, one clear line on stderr for bad input.
set -u
qc="$1"
cases="$2/cases"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {  # check NAME EXPECTED_EXIT ACTUAL_EXIT
  if [ "$2" != "$3" ]; then echo "FAIL $1: exit $3, expected $2"; fail=1; else echo "ok   $1"; fi
}

"$qc" policies >"$tmp/table"; check "policies table" 0 $?
grep -q '^reference ' "$tmp/table" || { echo "FAIL policies table lacks reference"; fail=1; }

"$qc" policies --json >"$tmp/policies.json"; check "policies --json" 0 $?
python3 - "$tmp/policies.json" <<'PY' || fail=1
import json, sys
ps = json.load(open(sys.argv[1]))
names = [p["name"] for p in ps]
for n in ["luci-uint8", "luci-int16-2021", "luci-int16-6971", "luci-int16-7017", "luci-int16-7063",
          "luci-int16", "tflite-int8", "tflite-int16x8", "onnxruntime-int8", "onnxruntime-uint8",
          "pytorch-int8-symmetric", "pytorch-uint8-affine", "reference"]:
    assert n in names, n
ref = ps[names.index("reference")]
assert len(ref["guarantees"]) == 7, ref["guarantees"]
assert "rejects_non_finite" in ref["guarantees"], ref["guarantees"]
assert ref["knobs"]["bias_fit"] == "reference_headroom"
print("ok   policies --json fields")
PY

# The #6970 case: the seed era saturates at INT64_MIN; it declares nothing, so exit 0.
"$qc" quantize --policy luci-int16-2021 "$cases/one_6970.json" >"$tmp/seed.json"
check "quantize seed era" 0 $?
python3 - "$tmp/seed.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
assert r["policy"] == "luci-int16-2021"
assert r["bias"]["q"][3] == -9223372036854775808, r["bias"]["q"][3]
assert r["bias"]["dequantized"][3] == -7.026009551935886e-09, r["bias"]["dequantized"][3]
assert r["bias"]["saturated"][3] is True
assert any(f["kind"] == "bias_saturated" and f["channel"] == 3 for f in r["findings"])
print("ok   seed-era numbers")
PY

# Standard input and -o (atomic) give the same bytes.
"$qc" quantize -p reference - <"$cases/one_6970.json" >"$tmp/a.json"; check "quantize stdin" 0 $?
"$qc" quantize -p reference "$cases/one_6970.json" -o "$tmp/b.json"; check "quantize -o" 0 $?
cmp -s "$tmp/a.json" "$tmp/b.json" || { echo "FAIL stdout and -o differ"; fail=1; }
python3 - "$tmp/a.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
assert r["findings"] == [], r["findings"][:3]
assert abs(r["bias"]["dequantized"][3] - -1.2156529426574707) <= r["bias"]["scale"][3] / 2
print("ok   reference keeps the bias")
PY

# A finding outside what the preset declares -> reported, exit 0 (exit 1 is for a declared
# guarantee broken; no shipped preset declares one it breaks). An input scale of 1e-35 times
# luci-int16-7063's 1e-9 floor makes a subnormal bias scale: the reason its valid_scales
# claim was withdrawn (AFL++ found the same with s_in = 1.38e-39).
cat >"$tmp/subnormal_bias_scale.json" <<'JSON'
{"op":"fully_connected","input_scale":1e-35,"weights":{"shape":[1,2],"data":[-1e-9,1e-9]},"bias":[0.0]}
JSON
"$qc" quantize -p luci-int16-7063 "$tmp/subnormal_bias_scale.json" >"$tmp/sub.json"
check "undeclared finding" 0 $?
grep -q '"kind": *"invalid_scale"' "$tmp/sub.json" || { echo "FAIL no invalid_scale finding"; fail=1; }

# Bad input: one line on stderr, nothing on stdout, exit 2.
"$qc" quantize -p no-such-policy "$cases/one_6970.json" >"$tmp/out" 2>"$tmp/err"
check "unknown policy" 2 $?
grep -q "unknown policy 'no-such-policy'" "$tmp/err" || { echo "FAIL unknown policy message"; fail=1; }
[ -s "$tmp/out" ] && { echo "FAIL output on error"; fail=1; }
echo '{"op": "conv2d", ' >"$tmp/bad.json"
"$qc" quantize "$tmp/bad.json" >"$tmp/out" 2>"$tmp/err"; check "bad JSON" 2 $?
grep -q "not valid JSON" "$tmp/err" || { echo "FAIL bad JSON message"; fail=1; }
"$qc" quantize "$cases/nan_weight.json" >"$tmp/out" 2>"$tmp/err"; check "NaN weight" 2 $?
grep -q "weights: NaN at element 0 (channel 0)" "$tmp/err" || { echo "FAIL NaN message: $(cat "$tmp/err")"; fail=1; }
"$qc" quantize "$tmp/missing.json" >"$tmp/out" 2>"$tmp/err"; check "missing file" 2 $?
"$qc" quantize --no-such-flag >"$tmp/out" 2>"$tmp/err"; check "unknown flag" 2 $?
"$qc" quantize -p reference "$cases/one_6970.json" -o /nonexistent/dir/out.json 2>"$tmp/err"
check "unwritable output" 2 $?
"$qc" quantize --help >"$tmp/out"; check "quantize --help" 0 $?
grep -q -- "--policy" "$tmp/out" || { echo "FAIL help lacks --policy"; fail=1; }

exit $fail
