#!/usr/bin/env bash
# The whole test suite, as README command (2) and .ci/run run it: install the
# Debian packages, fetch the TFLite runtime for the interop test, then build
# and run ctest in the `default` build and again in the sanitized `asan` build.
# Warnings are errors here.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/install-deps.sh
bash ci/fetch-tflite-runtime.sh
bash ci/fetch-onnxruntime.sh

echo "== format check (.clang-format)"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

for preset in default asan; do
  echo "== $preset build"
  cmake --preset "$preset" -DQUANTCHECK_WERROR=ON
  cmake --build --preset "$preset"
  echo "== $preset tests"
  ctest --preset "$preset"
done
