#!/usr/bin/env python3
"""quantcheck adapter over the real PyTorch quantization API (docs/adapter-protocol.md).

quantcheck starts this once and talks JSON lines over stdin/stdout: we send one
handshake line, then answer each request line (a quantcheck case plus the
requested weight type and granularity) with one result line. Nothing here
re-implements PyTorch's arithmetic: the scales and zero points come from
torch.ao.quantization observers, the integers from torch.quantize_per_channel /
torch.quantize_per_tensor, and the bias is quantized by PyTorch into qint32 at
the scale s_in * s_w, as PyTorch's QNNPACK/XNNPACK conv and linear do.

Modes (the request names one by weight_type + granularity):
  int8  per_channel  PerChannelMinMaxObserver(qint8,  per_channel_symmetric)  preset pytorch-int8-symmetric
  int8  per_tensor   MinMaxObserver(qint8,            per_tensor_symmetric)
  uint8 per_channel  PerChannelMinMaxObserver(quint8, per_channel_affine)      preset pytorch-uint8-affine
  uint8 per_tensor   MinMaxObserver(quint8,           per_tensor_affine)
The first mode listed for a weight type is its default when the request names
no granularity.

Debian's python3-torch is installed for /usr/bin/python3; when the `python3`
first on PATH (pyenv, a venv) has no torch, we re-execute under /usr/bin/python3
once, so `python3 adapters/pytorch/quantcheck_pytorch_adapter.py` works as is.
"""
import json
import math
import os
import sys

PROTOCOL = "quantcheck-adapter"
PROTOCOL_VERSION = 1


def import_torch():
    try:
        import torch  # noqa: F401

        return torch
    except ImportError as e:
        system = "/usr/bin/python3"
        if (
            not os.environ.get("QUANTCHECK_ADAPTER_REEXEC")
            and os.path.exists(system)
            and os.path.realpath(sys.executable) != os.path.realpath(system)
        ):
            os.environ["QUANTCHECK_ADAPTER_REEXEC"] = "1"
            os.execv(system, [system] + sys.argv)
        # Say why in the handshake line so quantcheck can report it.
        line = {"protocol": PROTOCOL, "protocol_version": PROTOCOL_VERSION,
                "error": "cannot import torch (install python3-torch): %s" % e}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        sys.exit(3)


torch = import_torch()
from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver  # noqa: E402

# One thread: a case is small, and OpenMP workers spinning on a 2-core machine
# cost more than they give.
torch.set_num_threads(1)

EPS = float(torch.finfo(torch.float32).eps)
# What PyTorch promises: nothing, as our pytorch-* presets declare nothing
# (docs/policies.md). Not valid_scales: the eps floor holds s_w, but s_in * s_w
# is subnormal or 0 for a small s_in, and an affine range near +-FLT_MAX
# overflows to scale inf. Not weight_error_bound: the float32 inverse rounds
# values next to a tie the wrong way, and qint8 symmetric maps -max to -128 at
# more than half a step. No bias guarantee: PyTorch has no bias guard, and a
# quotient beyond int64 becomes INT32_MIN whatever its sign.
GUARANTEES = []

MODES = [
    {"name": "int8-channel", "weight_type": "int8", "granularity": "per_channel",
     "scheme": "symmetric", "qmin": -128, "qmax": 127, "preset": "pytorch-int8-symmetric",
     "api": "PerChannelMinMaxObserver(qint8, per_channel_symmetric) + quantize_per_channel"},
    {"name": "int8-tensor", "weight_type": "int8", "granularity": "per_tensor",
     "scheme": "symmetric", "qmin": -128, "qmax": 127, "preset": "",
     "api": "MinMaxObserver(qint8, per_tensor_symmetric) + quantize_per_tensor"},
    {"name": "uint8-channel", "weight_type": "uint8", "granularity": "per_channel",
     "scheme": "asymmetric", "qmin": 0, "qmax": 255, "preset": "pytorch-uint8-affine",
     "api": "PerChannelMinMaxObserver(quint8, per_channel_affine) + quantize_per_channel"},
    {"name": "uint8-tensor", "weight_type": "uint8", "granularity": "per_tensor",
     "scheme": "asymmetric", "qmin": 0, "qmax": 255, "preset": "",
     "api": "MinMaxObserver(quint8, per_tensor_affine) + quantize_per_tensor"},
]
for m in MODES:
    m.update({"bias_type": "int32", "rounding": "half_to_even", "scale_floor": EPS,
              "activation_abs_max": 255, "guarantees": GUARANTEES})


class Rejected(Exception):
    """The case is not something this adapter (or PyTorch) quantizes."""


def make_observer(mode, axis):
    dtype = torch.qint8 if mode["weight_type"] == "int8" else torch.quint8
    if mode["granularity"] == "per_channel":
        scheme = (torch.per_channel_symmetric if mode["scheme"] == "symmetric"
                  else torch.per_channel_affine)
        return PerChannelMinMaxObserver(ch_axis=axis, dtype=dtype, qscheme=scheme)
    scheme = torch.per_tensor_symmetric if mode["scheme"] == "symmetric" else torch.per_tensor_affine
    return MinMaxObserver(dtype=dtype, qscheme=scheme)


# Observers are nn.Modules and slow to build; one per (mode, axis), reset per case.
_observers = {}


def observer_for(mode, axis):
    key = (mode["name"], axis if mode["granularity"] == "per_channel" else -1)
    obs = _observers.get(key)
    if obs is None:
        obs = _observers[key] = make_observer(mode, axis)
    else:
        obs.reset_min_max_vals()
    return obs


def number(v, where):
    """A float from JSON: a number, or a string such as "nan", "-inf", "0x1p-149"."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str):
        try:
            return float.fromhex(v) if "0x" in v.lower() else float(v)
        except ValueError:
            pass
    raise Rejected("%s: expected a number, got %r" % (where, v))


def float_tensor(values, where):
    """A float32 tensor from a JSON array; strings ("nan", "0x1p-149") take the slow path."""
    if not isinstance(values, list):
        raise Rejected("%s: expected an array of numbers" % where)
    try:
        return torch.tensor(values, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError, OverflowError):
        pass
    return torch.tensor([number(v, "%s[%d]" % (where, i)) for i, v in enumerate(values)],
                        dtype=torch.float32)


def float_json(v):
    """quantcheck's float form: a JSON number when finite, else "nan"/"inf"/"-inf"."""
    if math.isfinite(v):
        return v
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")


def float_list(t):
    """A float tensor as a JSON list (exact: float32 -> Python float is exact)."""
    values = t.tolist()
    if bool(torch.isfinite(t).all()):
        return values
    return [float_json(v) for v in values]


DEFAULT_AXIS = {"conv2d": 0, "fully_connected": 0, "depthwise_conv2d": 3}


def pick_mode(req):
    wt = req.get("weight_type")
    gran = req.get("granularity")
    for m in MODES:
        if m["weight_type"] == wt and (gran is None or m["granularity"] == gran):
            return m
    raise Rejected("no mode for weight_type %r granularity %r" % (wt, gran))


def quantize(req):
    mode = pick_mode(req)
    op = req.get("op")
    if op not in DEFAULT_AXIS:
        raise Rejected("op: unknown %r" % (op,))
    w = req.get("weights")
    if not isinstance(w, dict):
        raise Rejected("weights: expected an object")
    shape = w.get("shape")
    if not isinstance(shape, list) or not shape or not all(
            type(d) is int and d > 0 for d in shape):
        raise Rejected("weights.shape: expected positive integers")
    x = float_tensor(w.get("data"), "weights.data")
    if x.dim() != 1:
        raise Rejected("weights.data: expected a flat array of numbers")
    axis = req.get("channel_axis")
    if axis is None:
        axis = DEFAULT_AXIS[op]
    if type(axis) is not int or not 0 <= axis < len(shape):
        raise Rejected("channel_axis: %r out of range for a %d-d filter" % (axis, len(shape)))
    count = 1
    for d in shape:
        count *= d
    if count != x.numel():
        raise Rejected("weights: shape %r needs %d values, got %d" % (shape, count, x.numel()))
    channels = shape[axis]
    b = float_tensor(req.get("bias") or [], "bias")
    if b.dim() != 1 or (b.numel() and b.numel() != channels):
        raise Rejected("bias: %d values for %d output channels" % (b.numel(), channels))
    s_in = number(req.get("input_scale"), "input_scale")

    x = x.reshape(shape)
    obs = observer_for(mode, axis)
    try:
        obs(x)
        scale, zero_point = obs.calculate_qparams()
    except (AssertionError, RuntimeError) as e:  # e.g. NaN: "min should be less than max"
        raise Rejected("PyTorch observer refused the weights: %s" % (str(e).splitlines() or [""])[0])
    if mode["granularity"] == "per_channel":
        qw = torch.quantize_per_channel(x, scale, zero_point, axis, obs.dtype)
    else:
        qw = torch.quantize_per_tensor(x, float(scale), int(zero_point), obs.dtype)
    weights = {"scale": float_list(scale), "zero_point": zero_point.tolist(), "axis": axis,
               "q": qw.int_repr().flatten().tolist(),
               "range_min": float_list(obs.min_val.reshape(-1)),
               "range_max": float_list(obs.max_val.reshape(-1))}

    out_bias = {"scale": [], "q": []}
    if b.numel():
        s_w = scale if mode["granularity"] == "per_channel" else scale.expand(channels)
        # s_in * s_w: float32 operands, product rounded to float32 (PyTorch stores the
        # per-channel scales as double but quantizes with float(scale)).
        s_b = s_w * torch.tensor(s_in, dtype=torch.float32)
        zeros = torch.zeros(channels, dtype=torch.int64)
        qb = torch.quantize_per_channel(b, s_b.double(), zeros, 0, torch.qint32)
        out_bias = {"scale": float_list(s_b), "q": qb.int_repr().tolist()}
    return {"weights": weights, "bias": out_bias}


def main():
    out = sys.stdout.buffer
    handshake = {"protocol": PROTOCOL, "protocol_version": PROTOCOL_VERSION, "name": "pytorch",
                 "version": torch.__version__,
                 "engine": torch.backends.quantized.engine, "modes": MODES}
    out.write(json.dumps(handshake).encode() + b"\n")
    out.flush()
    loads, dumps = json.loads, json.dumps
    for line in sys.stdin.buffer:
        req_id = None
        try:
            req = loads(line)
            if not isinstance(req, dict):
                raise Rejected("request: expected a JSON object")
            req_id = req.get("id")
            resp = quantize(req)
            resp["id"] = req_id
        except Rejected as e:
            resp = {"id": req_id, "error": str(e)}
        except ValueError as e:  # bad JSON from quantcheck: say so, keep serving
            resp = {"id": req_id, "error": "request is not JSON: %s" % e}
        out.write(dumps(resp, allow_nan=False).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    try:
        main()
    except (BrokenPipeError, KeyboardInterrupt):
        # quantcheck went away: exit quietly (stdout is gone, so do not flush it).
        os._exit(0)
