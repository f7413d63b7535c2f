#!/bin/bash -eu
# ClusterFuzzLite uses the same build as OSS-Fuzz (one place to maintain).
exec "$SRC/quantcheck/ci/oss-fuzz/build.sh"
