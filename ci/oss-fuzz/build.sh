#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build of quantcheck's fuzz targets.
#
# Uses only the OSS-Fuzz environment: $CC $CXX $CFLAGS $CXXFLAGS
# $LIB_FUZZING_ENGINE $OUT $SRC (and $WORK for scratch). Compiles the
# libraries the targets test straight from their sources (no CMake, so none of
# the test-only dependencies are needed), links each fuzz/fuzz_<api>.cpp with
# the engine, and puts into $OUT, per target: the binary,
# <target>_seed_corpus.zip, <target>.dict and <target>.options.
# ci/test-oss-fuzz-build.sh runs this file locally with local values.
set -eu
QC="${QUANTCHECK_SRC:-$SRC/quantcheck}"
WORK="${WORK:-$(mktemp -d)}"
GEN="$WORK/quantcheck-generated"
OBJ="$WORK/quantcheck-obj"
mkdir -p "$GEN/quantcheck/model" "$OBJ" "$OUT"

# flatbuffers: the v2.0.8 checkout of the Dockerfile, else the system's.
if [ -d "$SRC/flatbuffers/include" ]; then
  FB_INCLUDE="$SRC/flatbuffers/include"
  if [ ! -x "$SRC/flatbuffers/build/flatc" ]; then
    # flatc is a build tool: built without the fuzzing flags.
    (cd "$SRC/flatbuffers" && CFLAGS= CXXFLAGS= cmake -S . -B build -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DFLATBUFFERS_BUILD_TESTS=OFF \
      -DFLATBUFFERS_BUILD_FLATLIB=OFF -DFLATBUFFERS_BUILD_FLATHASH=OFF >/dev/null &&
      ninja -C build flatc >/dev/null)
  fi
  FLATC="$SRC/flatbuffers/build/flatc"
else
  FB_INCLUDE=/usr/include
  FLATC="$(command -v flatc)"
fi
JSON_INCLUDE=/usr/include
[ -d "$SRC/json/single_include" ] && JSON_INCLUDE="$SRC/json/single_include"

"$FLATC" --cpp --scoped-enums -o "$GEN" "$QC/fuzz/schema/case.fbs"
have_model=0
if [ -f "$QC/model/schema/model.fbs" ] && [ -d "$QC/model/src/checks" ]; then
  "$FLATC" --cpp --gen-mutable -o "$GEN/quantcheck/model" "$QC/model/schema/model.fbs"
  have_model=1
fi

# ONNX (fuzz_onnx_model): libonnx's protobuf types (Debian libonnx-dev,
# libprotobuf-dev in the Dockerfile), linked from the system.
have_onnx=0
if [ $have_model = 1 ] && [ -f /usr/include/onnx/onnx-ml.pb.h ] && [ -d "$QC/onnx/src" ]; then
  have_onnx=1
fi

have_runtime=0
[ -d "$QC/runtime/src" ] && have_runtime=1
INCLUDES=(-I"$QC/quantizer/include" -I"$QC/fuzz/casefile/include" -I"$QC/fuzz"
          -I"$QC/runtime/include"
          -I"$QC/model/include" -I"$GEN")
# System headers stay where the compiler looks anyway (an -isystem /usr/include
# would break libstdc++'s #include_next).
[ "$FB_INCLUDE" = /usr/include ] || INCLUDES+=(-isystem "$FB_INCLUDE")
[ "$JSON_INCLUDE" = /usr/include ] || INCLUDES+=(-isystem "$JSON_INCLUDE")
[ $have_onnx = 1 ] && INCLUDES+=(-I"$QC/onnx/include" -DONNX_ML=1 -DONNX_NAMESPACE=onnx)
FLAGS=($CXXFLAGS -std=c++20 "${INCLUDES[@]}")

# The libraries under test, one object per source file.
sources=("$QC"/quantizer/src/*.cpp "$QC"/fuzz/casefile/casefile.cpp
         "$QC"/fuzz/fuzz_support.cpp "$QC"/fuzz/case_mutator.cpp)
if [ $have_model = 1 ]; then sources+=("$QC"/model/src/*.cpp "$QC"/model/src/checks/*.cpp); fi
if [ $have_onnx = 1 ]; then sources+=("$QC"/onnx/src/*.cpp); fi
if [ $have_runtime = 1 ]; then sources+=("$QC"/runtime/src/*.cpp "$QC"/fuzz/runtime_oracle.cpp); fi
objects=()
for src in "${sources[@]}"; do
  obj="$OBJ/$(echo "${src#$QC/}" | tr '/' '_').o"
  $CXX "${FLAGS[@]}" -I"$(dirname "$src")" -c "$src" -o "$obj"
  objects+=("$obj")
done
rm -f "$OBJ/libquantcheck_fuzz.a"
ar rcs "$OBJ/libquantcheck_fuzz.a" "${objects[@]}"

targets=(fuzz_case_bytes fuzz_case_flatbuffer fuzz_differential fuzz_exact_division)
[ $have_model = 1 ] && targets+=(fuzz_model)
[ $have_onnx = 1 ] && targets+=(fuzz_onnx_model)
[ $have_runtime = 1 ] && targets+=(fuzz_requantize fuzz_layer)
for t in "${targets[@]}"; do
  libs=()
  [ "$t" = fuzz_onnx_model ] && libs=(-lonnx_proto -lprotobuf)
  $CXX "${FLAGS[@]}" "$QC/fuzz/$t.cpp" "$OBJ/libquantcheck_fuzz.a" "${libs[@]}" $LIB_FUZZING_ENGINE \
    -o "$OUT/$t"
  # Seeds: the target's corpus, plus the named regression cases for the case-file targets.
  rm -f "$OUT/${t}_seed_corpus.zip"
  seeds=("$QC/corpus/$t"/*)
  case "$t" in fuzz_case_flatbuffer | fuzz_differential) seeds+=("$QC"/corpus/regression/*.qcase) ;; esac
  zip -q -j "$OUT/${t}_seed_corpus.zip" "${seeds[@]}"
  cp "$QC/fuzz/$t.dict" "$QC/fuzz/$t.options" "$OUT/"
done
# The unexcused build (the seed-era luci preset held to no_bias_saturation) is
# a measurement tool, not a continuous target: it crashes by design.
