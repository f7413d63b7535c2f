#!/usr/bin/python3
"""Exports the small QDQ test models of tests/onnx/data/ with Debian's PyTorch 1.13.

Run: /usr/bin/python3 onnx/scripts/export_pytorch_qdq.py [OUT_DIR]   (default tests/onnx/data)

A tiny network (Conv 3->4 k3, ReLU, Conv depthwise, Flatten, Linear) with fixed seeds:
  pytorch_qat_fakequant.onnx  QAT with QConfig(activation=default_fake_quant,
      weight=default_per_channel_weight_fake_quant), observers disabled after one
      batch, exported at opset 13: float weights behind QuantizeLinear ->
      DequantizeLinear (axis 0), float biases, shape-[1] scales, a Clip after each
      activation QuantizeLinear. (The default QAT qconfig fails to export:
      fused_moving_avg_obs_fake_quant has no ONNX symbolic.)
  pytorch_converted.onnx      the same model after torch.ao.quantization.convert,
      exported: int8 Constant weights and int32 biases behind DequantizeLinear,
      bias scale s_x * s_w, no QLinear ops.
  pytorch_float.onnx          the float model before quantization (for verify --float).
Prints a JSON line of facts the tests pin (op counts, scales).
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.ao.quantization as tq

out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "onnx", "data")
os.makedirs(out_dir, exist_ok=True)
torch.manual_seed(13)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(3, 4, 3)
        self.relu = nn.ReLU()
        self.dw = nn.Conv2d(4, 4, 3, groups=4)
        self.fc = nn.Linear(4 * 4 * 4, 5)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu(self.conv(x))
        x = self.dw(x)
        x = self.fc(torch.flatten(x, 1))
        return self.dequant(x)


x = torch.rand(2, 3, 8, 8) * 2 - 1
net = Net().eval()
torch.onnx.export(net, x[:1], os.path.join(out_dir, "pytorch_float.onnx"), opset_version=13,
                  input_names=["input"], output_names=["output"])

qat = Net().train()
qat.load_state_dict(net.state_dict())
qat.qconfig = tq.QConfig(activation=tq.default_fake_quant,
                         weight=tq.default_per_channel_weight_fake_quant)
tq.prepare_qat(qat, inplace=True)
qat(x)  # one calibration batch
qat.apply(tq.disable_observer)
qat.eval()
torch.onnx.export(qat, x[:1], os.path.join(out_dir, "pytorch_qat_fakequant.onnx"),
                  opset_version=13, input_names=["input"], output_names=["output"])

converted = tq.convert(qat.eval(), inplace=False)
torch.onnx.export(converted, x[:1], os.path.join(out_dir, "pytorch_converted.onnx"),
                  opset_version=13, input_names=["input"], output_names=["output"])

import onnx  # noqa: E402  (Debian python3-onnx)

facts = {}
for name in ("pytorch_float", "pytorch_qat_fakequant", "pytorch_converted"):
    m = onnx.load(os.path.join(out_dir, name + ".onnx"))
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    facts[name] = {"opset": m.opset_import[0].version, "ops": ops}
facts["conv_input_scale"] = float(converted.conv.scale)
facts["quant_scale"] = float(converted.quant.scale)
print(json.dumps(facts, sort_keys=True))
