#!/usr/bin/env python3
"""Seeds for fuzz_requantize and fuzz_layer (docs/fuzzing.md), and the named
runtime regression cases of RUNTIMES.md section 8 that a layer reproduces
(checked by corpus/RUNTIME_MANIFEST.tsv).

Run from the repository root:  /usr/bin/python3 fuzz/make_runtime_seeds.py
Writes corpus/fuzz_requantize/<name> and corpus/fuzz_layer/<name>;
deterministic, so a re-run changes nothing.

fuzz_requantize bytes: s_in, s_w, s_out float32 LE, zp_out int8, int64 LE accumulators.
fuzz_layer bytes: what FuzzedDataProvider consumes (integers from the END of
the data, most significant byte first; the remaining bytes from the front:
weights, then inputs), encoded by FdpWriter below in fuzz_layer.cpp's order.
"""
import os
import random
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def requant(s_in, s_w, s_out, zp, accs):
    return struct.pack("<fffb", s_in, s_w, s_out, zp) + b"".join(struct.pack("<q", a) for a in accs)


class FdpWriter:
    """Bytes that FuzzedDataProvider hands back as the values given, in order."""

    def __init__(self):
        self.tail = []  # consumed bytes, in consumption order

    def in_range(self, lo, hi, v):
        assert lo <= v <= hi
        rng, r, nbytes = hi - lo, v - lo, 0
        while nbytes < 8 and (rng >> (8 * nbytes)) > 0:
            nbytes += 1
        for i in reversed(range(nbytes)):  # most significant byte consumed first
            self.tail.append((r >> (8 * i)) & 0xFF)

    def boolean(self, b):
        self.tail.append(1 if b else 0)

    def u32(self, v):
        self.in_range(0, 2**32 - 1, v)

    def i64(self, v):
        self.in_range(-(2**63), 2**63 - 1, v)

    def scale(self, f):  # consume_scale: raw float32 bits
        self.boolean(True)
        self.u32(struct.unpack("<I", struct.pack("<f", f))[0])

    def data(self, front):
        return bytes(front) + bytes(reversed(self.tail))


OPS = {"conv": 0, "depthwise": 1, "fc": 2}
ACTS = {"uint8": (0, 0, 255), "int8": (1, -128, 127), "int16": (2, -32768, 32767)}


def layer(op, act, geometry, s_in, s_out, w_scales, w_zps, zp_in, zp_out, bias, weights, inputs,
          alt_weights=False, bias64=False):
    """geometry: FC (batch, in_c, out_c); conv/depthwise (batch, in_c, h, w, kh, kw, sh, sw,
    dh, dw, same, out_c_or_multiplier)."""
    w = FdpWriter()
    code, lo, hi = ACTS[act]
    w.in_range(0, 2, OPS[op])
    w.in_range(0, 2, code)
    w.boolean(alt_weights)
    if op == "fc":
        batch, in_c, out_c = geometry
        w.in_range(1, 2, batch)
        w.in_range(1, 4, 1)  # in_c of the convolutions, re-read for FC
        w.in_range(1, 16, in_c)
        w.in_range(1, 4, out_c)
    else:
        batch, in_c, h, wd, kh, kw, sh, sw, dh, dw, same, last = geometry
        w.in_range(1, 2, batch)
        w.in_range(1, 4, in_c)
        for v, (a, b) in zip((h, wd, kh, kw, sh, sw, dh, dw),
                             ((1, 4), (1, 4), (1, 3), (1, 3), (1, 2), (1, 2), (1, 2), (1, 2))):
            w.in_range(a, b, v)
        w.boolean(same)
        w.in_range(1, 2 if op == "depthwise" else 4, last)
    w.scale(s_in)
    w.scale(s_out)
    w.boolean(len(w_scales) > 1)
    wlo, whi = {"uint8": (0, 255), "int16": (-32768, 32767)}.get(act, (-128, 127)) if alt_weights \
        else (-128, 127)
    for s, zp in zip(w_scales, w_zps):
        w.scale(s)
        w.boolean(zp == 0)
        if zp != 0:
            w.in_range(wlo, whi, zp)
    w.in_range(lo, hi, zp_in)
    w.in_range(lo, hi, zp_out)
    if act == "int16":
        w.boolean(bias64)
    w.in_range(0, 7, 1 if bias is not None else 0)
    for b in bias or []:
        w.i64(b)
    front = []
    for v in weights:
        r = v - wlo
        front += [r >> 8, r & 0xFF] if whi - wlo > 255 else [r]
    for v in inputs:
        r = v - lo
        front += [r >> 8, r & 0xFF] if hi - lo > 255 else [r]
    return w.data(front)


def main():
    rnd = random.Random(12)

    # --- fuzz_requantize: named cases (RUNTIMES.md section 8 / 1.3) ---
    # ruy-x86 vs reference double rounding at M = 0.25, acc -6..6 (1.3, measured).
    write("fuzz_requantize", "tflite-x86-vs-reference-m0.25-negative-ties",
          requant(1.0, 0.25, 1.0, 0, range(-6, 7)))
    # Tiny multiplier flush: M just below 2^-32 with int64 accumulators up to 2^46.
    write("fuzz_requantize", "tflite-tiny-multiplier-flush-16x8",
          requant(1.0, 0.75 * 2.0**-32, 1.0, 0, [2**40, -(2**40), 2**46, -(2**46), 3 * 2**44]))
    # PR #42134: int64 MBQM, x = 10000, M = 0.00097656 must give 10 (the old code printed -10).
    write("fuzz_requantize", "tensorflow-pr-42134-int64-mbqm",
          requant(1.0, 0.00097656, 1.0, 0, [10000, -10000]))
    # ONE #6970: the INT64_MIN bias reaching an int64 MBQM whose multiplier is not
    # flushed (M = 1.3 2^-20): x * qr overflows int64 (flagged, computed without UB).
    write("fuzz_requantize", "one-6970-int64-min-accumulator",
          requant(1.0, 1.3 * 2.0**-20, 1.0, 0, [-(2**63), -(2**63) + 1, 2**63 - 1, 2**48]))

    # Found by fuzz_requantize (fixed in runtime/): a zero output scale divided by,
    # and a multiplier of 2^161 whose int32 left shift exceeded 63 bits.
    write("fuzz_requantize", "found-zero-output-scale", requant(1.0, 1.0, 0.0, 0, [1, -1, 2**40]))
    write("fuzz_requantize", "found-huge-multiplier-shift",
          requant(2.0**60, 2.0**60, 2.0**-41, 0, [1, -1, 2**31 - 1]))

    # --- fuzz_requantize: seeds over the regimes ---
    for i in range(24):
        s_in, s_out = 2 ** rnd.uniform(-12, -2), 2 ** rnd.uniform(-12, -2)
        M = 2 ** rnd.choice([rnd.uniform(-34, -30), rnd.uniform(-14, -1), rnd.uniform(-1, 1.2)])
        accs = [rnd.randint(-(2**e), 2**e) for e in (rnd.randint(0, 62) for _ in range(16))]
        accs += [2**31 - 1, -(2**31), 2**47, -(2**47)]
        write("fuzz_requantize", f"seed-{i:02d}",
              requant(s_in, M * s_out / s_in, s_out, rnd.randint(-128, 127), accs))

    # --- fuzz_layer: named cases ---
    # ORT #16105: u8s8 FC x = [210, 198, 234], w = [-81, -80, 127]: the AVX2 pair sum
    # 210*-81 + 198*-80 = -32850 saturates to -32768 (onnxruntime-mlas-avx2):
    # acc -3050 instead of -3132; M = 0.04, zp_out 200: y 78 instead of 75.
    write("fuzz_layer", "onnxruntime-16105-u8s8-pair-saturation",
          layer("fc", "uint8", (1, 3, 1), 0.04, 0.01, [0.01], [0], 0, 200, [0],
                [-81, -80, 127], [210, 198, 234]))
    # tensorflow#53763: 16x8 FC with an int32 bias near INT32_MAX and extreme inputs:
    # the int32-accumulator fallback overflows, the int64 path does not.
    write("fuzz_layer", "tensorflow-53763-16x8-int32-accumulator",
          layer("fc", "int16", (1, 16, 2), 2.0**-10, 2.0**-2, [2.0**-20], [0], 0, 0,
                [2**31 - 1000, -(2**31) + 1000], [127] * 16 + [-128] * 16, [32767] * 16))
    # ONE #6970 through a 16x8 conv: an INT64_MIN bias (int64 accumulator, x * qr overflows).
    write("fuzz_layer", "one-6970-16x8-conv-int64-min-bias",
          layer("conv", "int16", (1, 1, 2, 2, 1, 1, 1, 1, 1, 1, False, 1), 2.0**-10,
                2.0**-10, [1.3 * 2.0**-20], [0], 0, 0, [-(2**63)], [1], [100, -100, 32767, -32768],
                bias64=True))
    # RUNTIMES.md 1.3: the x86 depthwise rounds like the reference, conv like ruy (M = 0.25).
    write("fuzz_layer", "tflite-x86-depthwise-vs-conv-m0.25",
          layer("depthwise", "int8", (1, 1, 3, 3, 1, 1, 1, 1, 1, 1, False, 1), 1.0, 1.0,
                [0.25], [0], 0, 0, [0], [1], [-6, -5, -3, -2, -1, 1, 2, 3, 6]))

    # --- fuzz_layer: seeds, each op and activation type ---
    for i in range(18):
        op = ["conv", "depthwise", "fc"][i % 3]
        act = ["uint8", "int8", "int16"][(i // 3) % 3]
        _, lo, hi = ACTS[act]
        zp_in = 0 if act == "int16" else rnd.randint(lo, hi)
        zp_out = 0 if act == "int16" else rnd.randint(lo, hi)
        s_in, s_out = 2 ** rnd.uniform(-10, -3), 2 ** rnd.uniform(-10, -3)
        if op == "fc":
            geo = (rnd.randint(1, 2), rnd.randint(1, 16), rnd.randint(1, 4))
            out_c, n_w, n_in = geo[2], geo[1] * geo[2], geo[0] * geo[1]
        else:
            batch, in_c = rnd.randint(1, 2), rnd.randint(1, 4)
            h, wd, kh, kw = rnd.randint(2, 4), rnd.randint(2, 4), rnd.randint(1, 2), rnd.randint(1, 2)
            last = rnd.randint(1, 2) if op == "depthwise" else rnd.randint(1, 4)
            geo = (batch, in_c, h, wd, kh, kw, rnd.randint(1, 2), rnd.randint(1, 2), 1, 1,
                   rnd.random() < 0.5, last)
            out_c = in_c * last if op == "depthwise" else last
            n_w = kh * kw * (out_c if op == "depthwise" else out_c * in_c)
            n_in = batch * h * wd * in_c
        M = [2 ** rnd.uniform(-14, -1) for _ in range(out_c if op != "fc" else 1)]
        w_scales = [m * s_out / s_in for m in M]
        bias = [rnd.randint(-5000, 5000) for _ in range(out_c)]
        write("fuzz_layer", f"seed-{op}-{act}-{i:02d}",
              layer(op, act, geo, s_in, s_out, w_scales, [0] * len(w_scales), zp_in, zp_out, bias,
                    [rnd.randint(-127, 127) for _ in range(n_w)],
                    [rnd.randint(lo, hi) for _ in range(n_in)], bias64=(act == "int16")))


if __name__ == "__main__":
    main()
