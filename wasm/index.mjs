// recsys-wasm for pages, module Workers and bundlers (package.json "exports": "browser" and
// "default"): the full engine, and the serving engine with createRecsys({ engine: 'serve' }),
// each loaded on first use; in a cross-origin-isolated page the full engine's pthread build
// (recsys-mt.*) runs on every core. Node gets index.node.mjs; recsys-wasm/serve holds the serving engine
// alone.
import { makeCreateRecsys } from './api.mjs';

export { Catalog, Dataset, Experiment, Model, Recommender, Recsys, Session, Trainer, VectorIndex } from './api.mjs';

export const createRecsys = makeCreateRecsys({
  full: () => import('./recsys.mjs'),
  serve: () => import('./recsys-serve.mjs'),
}, null, () => import('./recsys-mt.mjs'));
export default createRecsys;
