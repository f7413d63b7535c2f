#!/usr/bin/env bash
# Installs every Debian 12 package quantcheck needs, with one apt-get line.
# Safe to run again; needs root (or sudo).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

packages=(
  g++ cmake ninja-build git python3                       # build
  clang libclang-rt-14-dev llvm-14                         # libFuzzer, sanitizer runtimes, symbolizer
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  libflatbuffers-dev flatbuffers-compiler
  libcli11-dev nlohmann-json3-dev libhwy-dev
  clang-format afl++ zip unzip jq
  dpkg-dev file                                           # cpack -G DEB (dpkg-shlibdeps), test label install
  python3-torch                                           # the real PyTorch adapter (tests label 'external')
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler python3-onnx  # ONNX models (onnx/), the exporter script, the ONNX backend node tests
)
# npm fetches the TFLite 2.9 runtime for the interop test; keep a node/npm already installed.
command -v npm >/dev/null 2>&1 || packages+=(npm)

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}"
