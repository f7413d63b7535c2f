// Runs one-layer integer ONNX models (QLinearConv, QLinearMatMul) in ONNX
// Runtime (npm onnxruntime-node) on integer inputs given as raw bytes, and
// writes each output's raw bytes. Usage:
//   node ort_qlinear.js ORT_PACKAGE_DIR MANIFEST
// MANIFEST: one line per model, "MODEL INPUT_BIN TYPE DIMS(comma) OUTPUT_BIN",
// TYPE uint8 or int8 (the input's element type). A model ONNX Runtime refuses
// writes "error <message>" to OUTPUT_BIN.err instead of OUTPUT_BIN.
'use strict';
const fs = require('fs');
const [pkg, manifest] = process.argv.slice(2);
const ort = require(pkg);
const arrays = {uint8: Uint8Array, int8: Int8Array};
(async () => {
  const lines = fs.readFileSync(manifest, 'utf8').split('\n').filter((l) => l.trim() !== '');
  for (const line of lines) {
    const [model, inputBin, type, dimsText, outputBin] = line.trim().split(/\s+/);
    try {
      const bytes = fs.readFileSync(inputBin);
      const data = new arrays[type](bytes.buffer, bytes.byteOffset, bytes.length);
      const dims = dimsText.split(',').map(Number);
      const s = await ort.InferenceSession.create(model, {graphOptimizationLevel: 'all'});
      const out = await s.run({[s.inputNames[0]]: new ort.Tensor(type, data, dims)});
      const y = out[s.outputNames[0]].data;
      fs.writeFileSync(outputBin, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
    } catch (e) {
      fs.writeFileSync(outputBin + '.err', `error ${e.message}\n`);
    }
  }
})().catch((e) => {
  console.error(`ort_qlinear: ${e.message}`);
  process.exit(1);
});
