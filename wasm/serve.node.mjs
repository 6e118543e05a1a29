// recsys-wasm/serve in Node: the serving engine alone, its .wasm and local model files read from
// disk.
import { readFile } from 'node:fs/promises';
import { makeCreateRecsys } from './api.mjs';

export { Catalog, Dataset, Experiment, Model, Recommender, Recsys, Session, Trainer, VectorIndex } from './api.mjs';

export const createRecsys = makeCreateRecsys({ serve: () => import('./recsys-serve.mjs') }, {
  wasmBinary: () => readFile(new URL('./recsys-serve.wasm', import.meta.url)),
  readFile: async (file) => new Uint8Array(await readFile(file)),
});
export default createRecsys;
