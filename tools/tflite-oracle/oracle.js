// Runs a .tflite model once in TFLite's WebAssembly runtime (@tensorflow/tfjs-tflite, XNNPACK, one
// thread) and writes its outputs: the independent oracle of Convoy's TFLite importer tests.
//
//   node oracle.js SPEC.json
//
// SPEC: {"model": PATH, "inputs": [PATH_OF_RAW_LITTLE_ENDIAN_BYTES, ...], "outDir": PATH}; inputs
// are in the order of subgraph 0's inputs and must match each input tensor's type and byte size.
// Writes outDir/output_J.bin (the interpreter's own buffer) and outDir/outputs.json
// ([{"name", "dtype", "shape"}]). Exit 1 with a message on stderr when the runtime fails.
'use strict';
const fs = require('fs');
const path = require('path');

const {load} = require('./runtime');

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const model = await load(fs.readFileSync(spec.model));
  const runner = model.modelRunner;
  const inputs = runner.getInputs();
  if (inputs.length !== spec.inputs.length) {
    throw new Error(`model has ${inputs.length} inputs, given ${spec.inputs.length}`);
  }
  inputs.forEach((t, i) => {
    const buf = t.data();
    const raw = fs.readFileSync(spec.inputs[i]);
    if (raw.byteLength !== buf.byteLength) {
      throw new Error(`input ${i} (${t.name}, ${t.dataType}) needs ${buf.byteLength} bytes, given ${raw.byteLength}`);
    }
    new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).set(raw);
  });
  if (!runner.infer()) {
    throw new Error('inference failed');
  }
  fs.mkdirSync(spec.outDir, {recursive: true});
  const meta = runner.getOutputs().map((t, j) => {
    const d = t.data();
    fs.writeFileSync(path.join(spec.outDir, `output_${j}.bin`),
        Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    return {name: t.name, dtype: t.dataType, shape: String(t.shape).split(',').filter(s => s !== '').map(Number)};
  });
  fs.writeFileSync(path.join(spec.outDir, 'outputs.json'), JSON.stringify(meta));
}

main().then(() => process.exit(0), e => {
  process.stderr.write(`tflite oracle: ${e && e.message ? e.message : e}\n`); if (process.env.ORACLE_DEBUG) console.error(e);
  process.exit(1);
});
