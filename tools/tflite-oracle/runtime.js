// Loads tfjs-tflite (TFLite's WebAssembly runtime) in plain Node: the loader expects a browser
// worker, so it gets one (the shim of shared/research/frontends.md). Exports load(bytes).
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const WASM = path.join(__dirname, 'node_modules/@tensorflow/tfjs-tflite/wasm') + '/';
Object.assign(globalThis, {
  self: globalThis, require, __dirname: WASM, location: {origin: '', href: ''},
  importScripts: u => vm.runInThisContext(fs.readFileSync(u.replace('_threaded.js', '.js'), 'utf8')),
});
const realFetch = globalThis.fetch;
globalThis.fetch = async (u, o) => typeof u === 'string' && u[0] === '/'
  ? new Response(fs.readFileSync(u), {headers: {'Content-Type': 'application/wasm'}})
  : realFetch(u, o);

require('@tensorflow/tfjs-backend-cpu');
const tflite = require('@tensorflow/tfjs-tflite');
tflite.setWasmPath(WASM);

/** Loads a model (a Buffer) with one thread. */
async function load(bytes) {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tflite.loadTFLiteModel(ab, {numThreads: 1});
}

module.exports = {load};

