#!/usr/bin/env bash
# Fetches TFLite 2.9's C API library (libtensorflowlite_c.so) for the interop
# test. Debian packages no TFLite runtime; the npm package tfjs-tflite-node@0.0.2
# ships one built for linux x86-64. Idempotent: when the library is already in
# the cache nothing is downloaded (no network needed).
#
# Usage: bash ci/fetch-tflite-runtime.sh [CACHE_DIR]     (default: ci/.cache/tflite)
# Prints the library's absolute path on its last line. The interop test finds it
# through QUANTCHECK_TFLITE_LIB or, by default, at ci/.cache/tflite/libtensorflowlite_c.so.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${1:-$here/.cache/tflite}"
lib="$cache/libtensorflowlite_c.so"
package="tfjs-tflite-node@0.0.2"
member="package/cc_deps/linux_amd64/libtensorflowlite_c.so"

if [ -s "$lib" ]; then
  echo "fetch-tflite-runtime: already present"
  echo "$lib"
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "fetch-tflite-runtime: npm not found (ci/install-deps.sh installs it)" >&2; exit 1; }

mkdir -p "$cache"
work="$(mktemp -d "$cache/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack --silent "$package" >/dev/null )
tarball="$(ls "$work"/*.tgz)"
tar -xzf "$tarball" -C "$work" "$member"
# Rename into place only when whole, so a broken download never looks present.
mv "$work/$member" "$lib.tmp"
mv "$lib.tmp" "$lib"
echo "fetch-tflite-runtime: fetched $package"
echo "$lib"
