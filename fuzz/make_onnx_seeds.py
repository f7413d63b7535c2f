#!/usr/bin/python3
"""Writes the seed corpus of fuzz_onnx_model (corpus/fuzz_onnx_model/): small real
exports (tests/onnx/data/, from onnx/scripts/export_pytorch_qdq.py), synthetic
models of every layer form quantcheck reads, and hostile files (truncated,
external data outside the directory, a 2 GB declared length, absurd dims,
raw_data shorter than its shape, deep subgraphs).

Run: /usr/bin/python3 fuzz/make_onnx_seeds.py   (Debian python3-onnx)
"""
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
out = os.path.join(root, "corpus", "fuzz_onnx_model")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(13)


def save(name, model):
    with open(os.path.join(out, name), "wb") as f:
        f.write(model.SerializeToString())


def model(nodes, inits, opset=13, inputs=("x",), extra_opsets=()):
    g = helper.make_graph(nodes, "g",
                          [helper.make_tensor_value_info(i, TensorProto.FLOAT, None) for i in inputs],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    return helper.make_model(g, opset_imports=ops, ir_version=7)


w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
w[1] = 1e-7
b = rng.standard_normal(4).astype(np.float32) * 4
save("conv_float.onnx", model([helper.make_node("Conv", ["x", "w", "b"], ["y"])],
                              [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")]))
save("conv_fp16_dw.onnx", model([helper.make_node("Conv", ["x", "w"], ["y"], group=4)],
                                [numpy_helper.from_array(w[:, :1].astype(np.float16), "w")]))
save("gemm_bf16.onnx", model([helper.make_node("Gemm", ["x", "B", "C"], ["y"], transB=0)],
                             [helper.make_tensor("B", TensorProto.BFLOAT16, [3, 2], [16256, 49152, 16128, 0, 1, 2]),
                              numpy_helper.from_array(np.array([0.5, -1], np.float32), "C")]))
save("matmul_convtranspose.onnx", model(
    [helper.make_node("MatMul", ["x", "B"], ["h"]),
     helper.make_node("ConvTranspose", ["h", "W"], ["y"], group=2)],
    [numpy_helper.from_array(rng.standard_normal((5, 4)).astype(np.float32), "B"),
     numpy_helper.from_array(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), "W")]))
then_g = helper.make_graph([helper.make_node("Conv", ["x", "ow"], ["t"])], "then", [],
                           [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)])
else_g = helper.make_graph([helper.make_node("Gemm", ["x", "oB"], ["e"], transB=1)], "else", [],
                           [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)])
save("if_outer_scope.onnx", model(
    [helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)],
    [numpy_helper.from_array(rng.standard_normal((6, 2, 3)).astype(np.float32), "ow"),
     numpy_helper.from_array(rng.standard_normal((3, 7)).astype(np.float32), "oB")],
    opset=18, inputs=("x", "c")))
sx = numpy_helper.from_array(np.array(0.02, np.float32), "sx")
save("qdq_conv.onnx", model(
    [helper.make_node("DequantizeLinear", ["xq", "sx"], ["x"]),
     helper.make_node("DequantizeLinear", ["wq", "sw", "zw"], ["w"], axis=0),
     helper.make_node("DequantizeLinear", ["bq", "sb"], ["b"], axis=0),
     helper.make_node("Conv", ["x", "w", "b"], ["y"])],
    [sx, numpy_helper.from_array(rng.integers(-127, 128, (2, 1, 1, 2)).astype(np.int8), "wq"),
     numpy_helper.from_array(np.array([0.01, 0.5], np.float32), "sw"),
     numpy_helper.from_array(np.zeros(2, np.int8), "zw"),
     numpy_helper.from_array(np.array([100, 2147483647], np.int32), "bq"),
     numpy_helper.from_array(np.array([0.0002, 0.01], np.float32), "sb")], inputs=("xq",)))
save("qoperator.onnx", model(
    [helper.make_node("QLinearConv", ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "b"], ["h"]),
     helper.make_node("MatMulInteger", ["h", "m", "zx", "zm"], ["h2"]),
     helper.make_node("QGemm", ["h2", "sx", "zx", "m", "sm", "zm"], ["y"], domain="com.microsoft")],
    [sx, numpy_helper.from_array(np.array(0, np.int8), "zx"),
     numpy_helper.from_array(np.array([1, -2, 3], np.int8).reshape(3, 1, 1, 1), "w"),
     numpy_helper.from_array(np.array([0.1, 0.2, 0.3], np.float32), "sw"),
     numpy_helper.from_array(np.zeros(3, np.int8), "zw"),
     numpy_helper.from_array(np.array(0.5, np.float32), "sy"),
     numpy_helper.from_array(np.array(0, np.int8), "zy"),
     numpy_helper.from_array(np.array([5, -6, 7], np.int32), "b"),
     numpy_helper.from_array(np.arange(8, dtype=np.uint8).reshape(4, 2), "m"),
     numpy_helper.from_array(np.array([0.1, 0.2], np.float32), "sm"),
     numpy_helper.from_array(np.array([3, 3], np.uint8), "zm")],
    extra_opsets=[("com.microsoft", 1)]))

# Hostile files.
ext = numpy_helper.from_array(w, "w")
ext.ClearField("raw_data")
ext.data_location = TensorProto.EXTERNAL
for k, v in (("location", "../../etc/passwd"), ("offset", "0"), ("length", "432")):
    ext.external_data.add(key=k, value=v)
save("hostile_external_outside.onnx", model([helper.make_node("Conv", ["x", "w"], ["y"])], [ext]))
ext.external_data[0].value = "weights.bin"
ext.external_data[2].value = "2147483648"
save("hostile_external_2gb.onnx", model([helper.make_node("Conv", ["x", "w"], ["y"])], [ext]))
short = numpy_helper.from_array(w, "w")
short.raw_data = short.raw_data[:40]
save("hostile_raw_short.onnx", model([helper.make_node("Conv", ["x", "w"], ["y"])], [short]))
absurd = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40, 1, 1])
save("hostile_absurd_dims.onnx", model([helper.make_node("Conv", ["x", "w"], ["y"])], [absurd]))
g = helper.make_graph([], "leaf", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
for d in range(20):
    g = helper.make_graph([helper.make_node("If", ["c"], ["y"], then_branch=g)], f"g{d}", [],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
save("hostile_deep_subgraphs.onnx", helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)]))
full = open(os.path.join(out, "conv_float.onnx"), "rb").read()
with open(os.path.join(out, "hostile_truncated.onnx"), "wb") as f:
    f.write(full[: len(full) * 2 // 3])

# Small real exports (PyTorch 1.13), when present.
data = os.path.join(root, "tests", "onnx", "data")
for name in ("pytorch_float.onnx", "pytorch_qat_fakequant.onnx", "pytorch_converted.onnx"):
    if os.path.exists(os.path.join(data, name)):
        shutil.copy(os.path.join(data, name), os.path.join(out, name))
print(len(os.listdir(out)), "seeds in", out)
