// recsys-wasm/serve for pages, module Workers and bundlers: the serving engine alone (load data
// and models, recommend, sessions, indexes), so that a bundle ships only recsys-serve.wasm.
import { makeCreateRecsys } from './api.mjs';

export { Catalog, Dataset, Experiment, Model, Recommender, Recsys, Session, Trainer, VectorIndex } from './api.mjs';

export const createRecsys = makeCreateRecsys({ serve: () => import('./recsys-serve.mjs') });
export default createRecsys;
