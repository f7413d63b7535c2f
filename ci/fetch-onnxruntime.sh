#!/usr/bin/env bash
# Fetches ONNX Runtime 1.30 for the ONNX interop test: npm onnxruntime-node@1.30.0
# (its native bin/napi-v6/linux/x64/libonnxruntime.so.1 and the N-API binding),
# installed with --ignore-scripts so its own download step does not run.
# The test drives it through its JavaScript API with the machine's node.
# Idempotent: when the package is already in the cache nothing is downloaded.
#
# Usage: bash ci/fetch-onnxruntime.sh [CACHE_DIR]     (default: ci/.cache/onnxruntime)
# Prints the package directory on its last line. The interop test finds it
# through QUANTCHECK_ORT_DIR or, by default, at ci/.cache/onnxruntime/node_modules/onnxruntime-node.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${1:-$here/.cache/onnxruntime}"
package="onnxruntime-node@1.30.0"
pkg_dir="$cache/node_modules/onnxruntime-node"
lib="$pkg_dir/bin/napi-v6/linux/x64/libonnxruntime.so.1"

if [ -s "$lib" ] && [ -f "$cache/.complete" ]; then
  echo "fetch-onnxruntime: already present"
  echo "$pkg_dir"
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "fetch-onnxruntime: npm not found (ci/install-deps.sh installs it)" >&2; exit 1; }

mkdir -p "$cache"
rm -f "$cache/.complete"
( cd "$cache" && npm install --silent --no-audit --no-fund --ignore-scripts "$package" >/dev/null )
[ -s "$lib" ] || { echo "fetch-onnxruntime: $lib missing after npm install" >&2; exit 1; }
# Marked complete only when whole, so a broken install never looks present.
touch "$cache/.complete"
echo "fetch-onnxruntime: fetched $package"
echo "$pkg_dir"
