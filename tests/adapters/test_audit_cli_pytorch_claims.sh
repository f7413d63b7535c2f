#!/bin/sh
# `quantcheck audit --adapter pytorch` (the README's adapter command) at the
# default seed: the adapter claims only what PyTorch keeps (nothing, as the
# pytorch-* presets), so no claimed guarantee breaks, the exit code is 0, and
# PyTorch's findings show as hazards: among them non_finite_rejected, because
# PyTorch quantizes +-Inf and a NaN bias (docs/adapter-protocol.md, D2) and
# the adapter does not declare rejects_non_finite.
qc="$1"
out=$("$qc" audit --adapter pytorch)
rc=$?
echo "$out"
fail=0
test "$rc" -eq 0 || { echo "FAIL: exit $rc, expected 0 (nothing claimed is broken)"; fail=1; }
echo "$out" | grep -q '^pytorch:int8-channel .* haz ' ||
  { echo "FAIL: no int8-channel row with hazards"; fail=1; }
echo "$out" | grep -q '^\[hazard\] pytorch:' || { echo "FAIL: no PyTorch hazard shown"; fail=1; }
echo "$out" | grep -q '^\[hazard\] pytorch:[a-z0-9-]* / non_finite_rejected' ||
  { echo "FAIL: D2 (NaN quantized) is not shown as a hazard"; fail=1; }
if echo "$out" | grep -q '^\[FAIL\]'; then
  echo "FAIL: a claimed guarantee is broken"
  fail=1
fi
exit $fail
