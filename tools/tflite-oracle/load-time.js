// How long TFLite's WebAssembly runtime takes to load a model (parse, allocate tensors, set up the
// XNNPACK delegate): the peer figure of `convoy bench --suite tflite_import`.
//
//   node load-time.js MODEL WARMUP REPS
//
// Prints {"firstMs": F, "loadMs": [..]}: F is the first load in a fresh process (which also
// instantiates the wasm module), loadMs the timed loads after WARMUP more.
'use strict';
const fs = require('fs');
const {load} = require('./runtime');

async function main() {
  const [model, warmup, reps] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
  const bytes = fs.readFileSync(model);
  let t0 = process.hrtime.bigint();
  await load(bytes);
  const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
  for (let i = 0; i < warmup; i++) {
    await load(bytes);
  }
  const loadMs = [];
  for (let i = 0; i < reps; i++) {
    t0 = process.hrtime.bigint();
    await load(bytes);
    loadMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  process.stdout.write(JSON.stringify({firstMs, loadMs}) + '\n');
}

main().then(() => process.exit(0), e => {
  process.stderr.write(`tflite load-time: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
