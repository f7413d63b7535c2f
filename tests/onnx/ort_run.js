// Runs ONNX models in ONNX Runtime (npm onnxruntime-node) on one deterministic
// input and prints, per model after the first, max|y - y_first| / max|y_first|
// over the first output. Usage:
//   node ort_run.js ORT_PACKAGE_DIR DIMS(comma) SEED MODEL [MODEL...]
// Prints one line per model: "<path> <elements> <relative difference>".
'use strict';
const [pkg, dimsText, seedText, ...models] = process.argv.slice(2);
const ort = require(pkg);
const dims = dimsText.split(',').map(Number);
const n = dims.reduce((a, b) => a * b, 1);
// A fixed LCG in [-1, 1): the same input for every model.
let state = Number(seedText) >>> 0;
const input = new Float32Array(n);
for (let i = 0; i < n; ++i) {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  input[i] = state / 2147483648 - 1;
}
(async () => {
  let ref = null;
  for (const path of models) {
    const s = await ort.InferenceSession.create(path, {graphOptimizationLevel: 'all'});
    const out = await s.run({[s.inputNames[0]]: new ort.Tensor('float32', input, dims)});
    const y = out[s.outputNames[0]].data;
    if (ref === null) ref = y;
    let diff = 0, scale = 0;
    for (let i = 0; i < y.length; ++i) {
      diff = Math.max(diff, Math.abs(y[i] - ref[i]));
      scale = Math.max(scale, Math.abs(ref[i]));
    }
    if (y.length !== ref.length) diff = Infinity;
    console.log(`${path} ${y.length} ${scale > 0 ? diff / scale : diff}`);
  }
})().catch((e) => {
  console.error(`ort_run: ${e.message}`);
  process.exit(1);
});
