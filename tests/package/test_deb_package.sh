#!/bin/sh
# Makes the .deb with cpack, checks its control data, unpacks it (dpkg -x, no
# root needed) and runs the unpacked `quantcheck audit`, bundled adapter included.
# usage: test_deb_package.sh BUILD_DIR WORK_DIR
set -eu
build=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log") || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/quantcheck_*.deb)
dpkg-deb -f "$deb" Package Version Depends | tee "$work/control"
grep -q '^Depends:.*libc6' "$work/control"
grep -q '^Depends:.*libstdc++6' "$work/control"
grep -q '^Depends:.*nlohmann-json3-dev' "$work/control"
# apt resolves its dependencies (a simulation: nothing is installed, no root needed).
if command -v apt-get >/dev/null 2>&1; then
  apt-get install -s "$deb" >"$work/apt.txt" 2>&1 || { cat "$work/apt.txt"; exit 1; }
  grep -q '^Inst quantcheck ' "$work/apt.txt" || { cat "$work/apt.txt"; exit 1; }
fi
dpkg -x "$deb" "$work/root"
for f in usr/bin/quantcheck usr/lib/cmake/quantcheck/quantcheckConfig.cmake \
         usr/include/quantcheck/model/model_generated.h usr/libexec/quantcheck/quantcheck_echo_adapter \
         usr/share/quantcheck/adapters/pytorch/quantcheck_pytorch_adapter.py; do
  test -e "$work/root/$f" || { echo "missing from the .deb: $f"; exit 1; }
done
qc="$work/root/usr/bin/quantcheck"
"$qc" audit --policy reference --cases 20 >"$work/audit.txt"
grep -q 'reference' "$work/audit.txt"
# `echo` must resolve to the adapter inside the unpacked package, not to the
# build tree's: the unpacked one is wrapped so that its handshake says "unpacked".
libexec="$work/root/usr/libexec/quantcheck"
mv "$libexec/quantcheck_echo_adapter" "$libexec/echo.real"
cat >"$libexec/quantcheck_echo_adapter" <<'WRAP'
#!/bin/sh
"$(dirname "$0")/echo.real" | sed -u 's/"name":"echo"/"name":"unpacked"/'
WRAP
chmod +x "$libexec/quantcheck_echo_adapter"
"$qc" audit --adapter echo --policy reference --property scales_valid --cases 5 --json >"$work/echo.json" || true
grep -q '"unpacked:' "$work/echo.json" || { echo "--adapter echo did not run the unpacked adapter"; cat "$work/echo.json"; exit 1; }
echo "ok: $(basename "$deb") installs and runs"
