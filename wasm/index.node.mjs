// recsys-wasm in Node (package.json "exports" condition "node"): the API of index.mjs, with the
// .wasm files and local model files read from disk.
import { readFile } from 'node:fs/promises';
import { makeCreateRecsys } from './api.mjs';

export { Catalog, Dataset, Experiment, Model, Recommender, Recsys, Session, Trainer, VectorIndex } from './api.mjs';

const wasm = {
  full: new URL('./recsys.wasm', import.meta.url),
  serve: new URL('./recsys-serve.wasm', import.meta.url),
};

export const createRecsys = makeCreateRecsys({
  full: () => import('./recsys.mjs'),
  serve: () => import('./recsys-serve.mjs'),
}, {
  wasmBinary: (engine) => readFile(wasm[engine]),
  readFile: async (file) => new Uint8Array(await readFile(file)),
});
export default createRecsys;
