#!/bin/sh
# `quantcheck audit --adapter pytorch` (the README's adapter command) at the
# default seed: the adapter claims only what PyTorch keeps (nothing, as the
# pytorch-* presets), so no claimed guarantee breaks and PyTorch's findings
# show as hazards. The one FAIL left is non_finite_rejected, a property every
# quantizer is held to (guarantee "all"): PyTorch quantizes +-Inf and a NaN
# bias (docs/adapter-protocol.md, D2), so the exit code is 1 for that alone.
qc="$1"
out=$("$qc" audit --adapter pytorch)
rc=$?
echo "$out"
fail=0
test "$rc" -eq 1 || { echo "FAIL: exit $rc, expected 1 (D2 only)"; fail=1; }
echo "$out" | grep -q '^pytorch:int8-channel .* haz ' ||
  { echo "FAIL: no int8-channel row with hazards"; fail=1; }
echo "$out" | grep -q '^\[hazard\] pytorch:' || { echo "FAIL: no PyTorch hazard shown"; fail=1; }
others=$(echo "$out" | grep '^\[FAIL\]' | grep -vc 'non_finite_rejected')
test "$others" -eq 0 || { echo "FAIL: $others claimed guarantee(s) broken besides D2"; fail=1; }
exit $fail
