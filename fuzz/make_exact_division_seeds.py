#!/usr/bin/env python3
"""Writes the seeds of corpus/fuzz_exact_division/ (run by hand from the root).

Each seed is a run of (num, den) float32 pairs in little-endian bytes, the
input format of fuzz/fuzz_exact_division.cpp, named by its SHA-1 like the
libFuzzer corpus files beside it.
"""
import hashlib
import struct


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


FLT_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]
FLT_MIN = struct.unpack("<f", b"\x00\x00\x80\x00")[0]
TRUE_MIN = struct.unpack("<f", b"\x01\x00\x00\x00")[0]

SEEDS = [
    # ONE #6970: bias -1.2157 at s_b = 7.6e-28 (a quotient beyond int64), and at saner scales.
    [(-1.2157, 7.6e-28), (-1.2157, 1.0e-10), (-1.2157, 3.0518e-05 * 1e-5)],
    # Exact ties under both rules, both signs.
    [(2.5, 1.0), (-2.5, 1.0), (3.5, 1.0), (-3.5, 1.0), (0.5, 1.0), (5.0, 2.0), (-7.0, 2.0)],
    # Extremes: subnormal over huge and back, FLT_MIN.
    [(TRUE_MIN, FLT_MAX), (-TRUE_MIN, FLT_MAX), (FLT_MAX, FLT_MIN), (FLT_MIN, TRUE_MIN), (1.0, TRUE_MIN)],
    # The int64 edge: 2^63 and its neighbours.
    [(2.0**63, 1.0), (-(2.0**63), 1.0), (2.0**62, 0.5), (2.0**62 * 3, 1.5), (1.0, 2.0**-62), (1.0, 2.0**-64)],
    # Near-ties: (q + 1/2) * den rounded to float32.
    [(f32(2.5 * 0.1), f32(0.1)), (f32(1000.5 * 0.3), f32(0.3)), (f32(12345.5 * 1e-7), f32(1e-7)), (f32(0.5 * 3.0), 3.0)],
    # Weights at int8 and int16 reference scales, and a uint8-era bias at a tiny scale.
    [(1.0, f32(1.0 / 127)), (-0.75, f32(1.0 / 127)), (1.0, f32(1.0 / 32767)), (0.2147, f32(0.0039215689 * 1e-6))],
]

for pairs in SEEDS:
    data = b"".join(struct.pack("<ff", num, den) for num, den in pairs)
    with open(f"corpus/fuzz_exact_division/{hashlib.sha1(data).hexdigest()}", "wb") as out:
        out.write(data)
