#!/bin/sh
# The replay line `quantcheck audit` prints for an adapter row must run as
# printed (with its --adapter) and reproduce the hazard: once with a bundled
# adapter name, once with an adapter command that holds spaces and quotes.
#   test_audit_cli_replay.sh QUANTCHECK PYTHON3 PYTORCH_ADAPTER_SCRIPT
set -u
qc=$1 py=$2 script=$3
fail() { echo "FAIL: $*"; exit 1; }

check_replay() {  # $1: the --adapter argument
  out=$("$qc" audit --adapter "$1" --policy pytorch-int8-symmetric --property bias_no_saturation)
  rc=$?
  [ $rc -eq 0 ] || fail "audit exited $rc"
  line=$(echo "$out" | grep -m1 '^  replay:    quantcheck audit --adapter ') ||
    fail "no replay line with --adapter in: $out"
  cmd=${line#  replay:    quantcheck }
  echo "replaying: quantcheck $cmd"
  # Run the line through the shell exactly as a user would paste it.
  got=$(eval "\"\$qc\" $cmd") || fail "replay exited $?: $got"
  echo "$got"
  echo "$got" | grep -q '^pytorch:int8-channel / bias_no_saturation: hazard (not declared)$' ||
    fail "the replay did not reproduce the hazard"
}

check_replay pytorch
check_replay "'$py' '$script'"
echo "ok"
