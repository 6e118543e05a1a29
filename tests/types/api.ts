// Type-checked (not run) by tests/js/types.test.mjs with `tsc --noEmit --strict`: every part of the
// public API used as the README and the pages use it, and misuses that the declarations must refuse.
import createRecsysDefault, {
  createRecsys, Catalog, Dataset, Experiment, Model, Recommender, Recsys, Session, Trainer, VectorIndex,
  type DatasetStats, type EvalReport, type ExperimentReport, type Item, type Recommendation, type RecsysError,
  type StepReport,
} from 'recsys-wasm';
import { createRecsys as createServe } from 'recsys-wasm/serve';

export async function usage(): Promise<void> {
  const rs: Recsys = await createRecsys({ wasmUrl: new URL('https://example.org/recsys.wasm') });
  const precompiled: Recsys = await createRecsys({ engine: 'serve', wasmModule: WebAssembly.compileStreaming(fetch('recsys-serve.wasm')) });
  void precompiled;
  const same: Promise<Recsys> = createRecsysDefault();
  const serving: Recsys = await createRecsys({ engine: 'serve' });
  const engine: 'full' | 'serve' = serving.engine;
  // @ts-expect-error: the engines are 'full' and 'serve'
  await createRecsys({ engine: 'tiny' });
  void [same, engine];
  const version: string = rs.version;
  const { heapBytes, allocatedBytes } = rs.memoryUsage();
  const shop: Dataset = rs.generateShop({ seed: 42, users: 1000, start: '2021-01-01' });
  const stats: DatasetStats = shop.stats();
  const items: Item[] = shop.items({ offset: 0, limit: 5 });
  const users: string[] = shop.userIds({ limit: 10 });
  const cols = shop.arrays();
  const itemCol: Int32Array = cols.interactions.item;
  const catalog: Catalog = rs.loadCatalog('id,title,category,brand,price\n', { format: 'csv' });
  const row: number = catalog.indexOf('mug');
  const retail: Dataset = rs.loadOnlineRetail({ items: '', baskets: '' });

  const trainer: Trainer = rs.createTrainer(shop, { preset: 'default', epochs: 2, batchSize: 256, learningRate: 1e-3 });
  const step: StepReport = trainer.step(10);
  const controller = new AbortController();
  await trainer.train({ onProgress: (r: StepReport) => void r.meanLoss, signal: controller.signal, sliceSteps: 20 });
  const recall: number | null = trainer.popularityRecall;
  const model: Model = trainer.model;
  model.fitRanker(shop);
  const top: { id: string; score: number }[] = model.recommend({ userId: 'user_1', history: ['item_1'], k: 5 });
  const { weights, manifest } = model.toFiles();
  const bytes: Uint8Array = weights;
  const loaded: Model = await rs.loadModel({ weights, manifest });
  const again: Model = await Model.load({ weights: 'model.safetensors', manifest: 'manifest.json' }, { recsys: rs });

  const recommender: Recommender = rs.createRecommender({ model, dataset: shop, index: { kind: 'ivf', nprobe: 8 } });
  const session: Session = recommender.createSession({ userId: 'user_1' });
  session.track({ itemId: 'item_1', event: 'click' }).track({ itemId: 'item_2', event: 'add_to_cart', timestamp: 1 });
  const recs: Recommendation[] = recommender.recommend({
    session, scene: 'cart_page', k: 10, diversity: 0.3, filters: { categories: ['Toys'], priceMax: 50 },
  });
  const why: string = recs[0].explanation.source;
  const pClick: number | undefined = recs[0].explanation.pClick;
  const hitRatio: number = recommender.stats().cacheHitRatio;
  recommender.reload(loaded);

  const report: EvalReport = rs.evaluate(shop, { model: 'itemknn', params: { neighbours: 50 }, k: 10, protocol: 'sampled' });
  const ndcg: number = report.ndcg;

  const index: VectorIndex = rs.createIndex({ kind: 'int8', rerank: 4 }).build(new Float32Array(64), 4, 16);
  const found: { ids: Int32Array; scores: Float32Array } = index.search(new Float32Array(16), { k: 2, exclude: [0] });

  // @ts-expect-error: an unknown preset
  rs.createTrainer(shop, { preset: 'huge' });
  // @ts-expect-error: an unknown event
  session.track({ itemId: 'item_1', event: 'like' });
  // @ts-expect-error: k is a number
  recommender.recommend({ k: '10' });
  // @ts-expect-error: the model is a Model or a baseline name
  rs.evaluate(shop, { model: 'svd' });
  // @ts-expect-error: vectors are Float32Array
  index.build([1, 2, 3], 1, 3);

  const experiment: Experiment = rs.createExperiment({ model, dataset: shop, config: {
    arms: [{ name: 'model' }, { name: 'random', random: true, weight: 0.5 }], sessions: 1000, bandit: { policy: 'ucb1' }, ope: false,
  } });
  const state: ExperimentReport = experiment.step(100);
  const lift: number = state.comparisons[0].ctr.relative;
  const always: number | undefined = state.comparisons[0].ctr.sequentialP;
  await experiment.run({ stepSessions: 200, onProgress: (r: ExperimentReport) => void r.sessions });
  const n: number = rs.sampleSize({ control: 0.05, treatment: 0.055 }) + rs.power({ n: 100, effectSize: 0.2 });
  const kinds: readonly string[] = rs.enums.errorKinds;
  try {
    recommender.recommend({ k: 0 });
  } catch (e) {
    const kind: RecsysError['kind'] = (e as RecsysError).kind;
    void kind;
  }
  const alone: Recsys = await createServe();
  // @ts-expect-error: the serving entry has only the serving engine
  await createServe({ engine: 'full' });
  // @ts-expect-error: an unknown bandit policy
  rs.createExperiment({ model, dataset: shop, config: { bandit: { policy: 'greedy' } } });
  void [lift, always, n, kinds, alone];

  [experiment, index, session, recommender, again, loaded, model, trainer, retail, catalog, shop].forEach((x) => x.dispose());
  const disposed: boolean = shop.disposed;
  void [version, heapBytes, allocatedBytes, stats, items, users, itemCol, row, step, recall, top, bytes, why, pClick,
    hitRatio, ndcg, found, disposed];
}
