// The cross-check oracle for float models: LiteRT.js (@litertjs/core, CPU, XNNPACK) runs a .tflite
// once; same SPEC and output files as oracle.js. LiteRT.js maps only float32/int32/uint8 tensors
// and has no variable tensors (no LSTM), so it serves float models only; it does run MediaPipe's
// Convolution2DTransposeBias, which tfjs-tflite lacks.
//
//   node litert.mjs SPEC.json
import fs from 'fs';
import path from 'path';
import vm from 'vm';
import {createRequire} from 'module';
import {fileURLToPath} from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const WASM = path.join(here, 'node_modules/@litertjs/core/wasm') + '/';
// LiteRT.js expects a browser worker: give it one (the shim of shared/research/frontends.md).
Object.assign(globalThis, {
  self: globalThis, require: createRequire(import.meta.url), __dirname: WASM,
  importScripts: u => vm.runInThisContext(
      fs.readFileSync(u.startsWith('file:') ? fileURLToPath(u) : u, 'utf8')),
});
const {loadLiteRt, loadAndCompile, Tensor} = await import('@litertjs/core');

try {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  await loadLiteRt(WASM);
  const model = await loadAndCompile(new Uint8Array(fs.readFileSync(spec.model)),
      {accelerator: 'wasm'});
  const details = model.getInputDetails();
  const inputs = details.map((d, i) => {
    const raw = fs.readFileSync(spec.inputs[i]);
    const f32 = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    return new Tensor(f32, Array.from(d.shape));
  });
  const outputs = await model.run(inputs);
  fs.mkdirSync(spec.outDir, {recursive: true});
  const meta = [];
  for (let j = 0; j < outputs.length; j++) {
    const t = outputs[j];
    const data = t.toTypedArray();
    fs.writeFileSync(path.join(spec.outDir, `output_${j}.bin`),
        Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    meta.push({dtype: 'float32', shape: Array.from(t.type.layout.dimensions)});
  }
  fs.writeFileSync(path.join(spec.outDir, 'outputs.json'), JSON.stringify(meta));
  process.exit(0);
} catch (e) {
  process.stderr.write(`litert oracle: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
}
