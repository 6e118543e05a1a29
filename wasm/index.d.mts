// Type declarations for recsys-wasm (wasm/index.mjs); .d.mts: ES module declarations whatever the nearest package.json says.

// The names below are the C++ core's lists (recsys.enums returns them at run time); a test
// (tests/js/enums.test.mjs) checks that these declarations list the same.
/** The built-in scenes (a strategy may add its own). */
export type Scene = 'home_page' | 'cart_page' | 'product_page' | 'default';
/** What a session records. */
export type EventKind = 'view' | 'click' | 'add_to_cart' | 'purchase';
/** Top-K index kinds. */
export type IndexKind = 'exact' | 'int8' | 'ivf';
/** Candidate sources of the strategy layer. */
export type SourceKind = 'personal' | 'popular' | 'trending' | 'complementary' | 'similar' | 'repeat' | 'neighbours' | 'ease';
/** error.kind of every error the API throws: 'type' (TypeError), 'range' (RangeError), the others Error. */
export type ErrorKind = 'type' | 'range' | 'not_found' | 'state' | 'format' | 'internal';

/** What the API throws: a TypeError, RangeError or Error whose message names the field and the value. */
export interface RecsysError extends Error {
  kind: ErrorKind;
}

export interface DatasetStats {
  name: string;
  checksum: string;
  users: number;
  items: number;
  interactions: number;
  categories: number;
  brands: number;
  activeItems: number;
  views: number;
  clicks: number;
  addToCarts: number;
  purchases: number;
  priceMean: number;
  priceMin: number;
  priceMax: number;
  firstTimestamp: string;
  lastTimestamp: string;
  density: number;
  meanEventsPerUser: number;
  top1pctItemShare: number;
  /** Items and interactions per category, most interactions first. */
  categoryBreakdown: { category: string; items: number; interactions: number }[];
}

export interface Item {
  id: string;
  title: string;
  category: string;
  brand: string;
  price: number;
  /** Extra attributes from the catalog file, as text. */
  [attribute: string]: string | number;
}

/** Settings of the synthetic shop; see defaultShopConfig() for every key and its default. */
export interface ShopConfig {
  seed?: number;
  users?: number;
  items?: number;
  interactions?: number;
  categories?: number;
  brands?: number;
  price_mean?: number;
  price_std?: number;
  price_min?: number;
  price_max?: number;
  /** Seconds since 1970 or "YYYY-MM-DD". */
  start?: number | string;
  end?: number | string;
  latent_dim?: number;
  popularity_exponent?: number;
  category_concentration?: number;
  brand_concentration?: number;
  session_focus?: number;
  mean_session_length?: number;
  [key: string]: number | string | undefined;
}

declare class Handle {
  /** Frees the C++ object now; safe to call twice. */
  dispose(): void;
  readonly disposed: boolean;
}

export class Catalog extends Handle {
  readonly size: number;
  indexOf(id: string): number;
  items(range?: { offset?: number; limit?: number }): Item[];
  toCsv(): string;
}

export class Dataset extends Handle {
  readonly numUsers: number;
  readonly numItems: number;
  readonly numInteractions: number;
  stats(): DatasetStats;
  items(range?: { offset?: number; limit?: number }): Item[];
  catalogCsv(): string;
  interactionsCsv(): string;
  userIds(range?: { offset?: number; limit?: number }): string[];
  arrays(): DatasetArrays;
}

export interface DatasetArrays {
  /** Per interaction, grouped by user in time order. */
  interactions: { user: Int32Array; item: Int32Array; timestamp: Float64Array; event: Uint8Array; quantity: Int32Array };
  /** Per item. */
  items: { category: Int32Array; brand: Int32Array; price: Float64Array };
}

export interface EpochReport {
  epoch: number;
  meanLoss: number;
  seconds: number;
  examples: number;
  /** Recall@10 of each validation user's held-out item (absent without validation data). */
  validationRecall?: number;
}

export interface StepReport {
  steps: number;
  examples: number;
  meanLoss: number;
  examplesPerSecond: number;
  seconds: number;
  epoch: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  finishedEpochs: EpochReport[];
  done: boolean;
  stoppedEarly: boolean;
}

/** How a model file stores the two-tower weights. */
export type ModelPrecision = 'f32' | 'f16' | 'int8';

export interface TrainingInfo {
  dataset?: string;
  epochs?: number;
  examples_per_epoch?: number;
  final_loss?: number;
  seconds?: number;
  validation_recall_at_10?: number;
  popularity_recall_at_10?: number;
}

export interface TrainerOptions {
  preset?: 'seed' | 'default';
  /** Overrides of the preset (see docs/model-format.md and two_tower_config.h for every key). */
  config?: Record<string, unknown>;
  /** 'leave-last-out' (default): validation on each user's second-to-last new item; 'temporal':
   *  train before validationStart, validate until testStart; 'none': every event trains. */
  split?: 'leave-last-out' | 'temporal' | 'none';
  validationStart?: string | number;
  testStart?: string | number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  validationUsers?: number;
  /** Epochs without a better validation recall before stopping (0: never). */
  patience?: number;
}

export class Model extends Handle {
  /** Loads model files on `options.recsys`, or on a shared engine created on first use. */
  static load(
    files: { weights: Uint8Array | ArrayBuffer | string | URL; manifest: string | URL },
    options?: { recsys?: Recsys },
  ): Promise<Model>;
  /** Whether a ranking model comes with this model (it re-ranks in a Recommender). */
  readonly hasRanker: boolean;
  /** Trains a ranking model for this model on a dataset and attaches it (saved by toFiles()). */
  fitRanker(dataset: Dataset): void;
  /** Whether a candidate ranker comes with this model (it scores a Recommender's candidates). */
  readonly hasCandidateRanker: boolean;
  /** The candidate ranker's description: the scene and strategy it was fitted for (a Recommender uses them by default). */
  readonly candidateRanker: CandidateRankerInfo | null;
  /**
   * Fits a candidate ranker for a scene on the dataset's logs (a cut config.window_days before their end) and
   * attaches it (saved by toFiles()); featuresModel: a two-tower trained on the logs before the cut only.
   */
  fitCandidateRanker(dataset: Dataset, options?: {
    scene?: string; strategy?: Record<string, unknown>; config?: CandidateRankerConfig; featuresModel?: Model;
  }): { examples: number; positives: number; users: number; cut: number; epochLosses: number[] };
  readonly numItems: number;
  readonly numUsers: number;
  readonly dim: number;
  /** FNV-1a 64 (hex) of the configuration, vocabularies and every weight: equal means the same model. */
  readonly checksum: string;
  readonly config: Record<string, unknown>;
  /** The model's own top-k (exact, no strategy): k in [1, numItems]. */
  recommend(query?: { userId?: string; history?: string[]; k?: number }): { id: string; score: number }[];
  /**
   * The on-device adapter session.personalise() fits, from the model alone (for a Worker): history is
   * the user's logged items then the session's, oldest first. Hand the adapter to session.setAdapter().
   */
  personalise(query: { userId?: string; history: string[]; steps?: number; learningRate?: number; l2?: number }): { adapter: Float32Array; losses: number[] };
  /**
   * The model files. precision: 'f32' (the default; exact), 'f16' or 'int8' (the two-tower weights
   * quantised: about 1/2 and 1/4 of the weights file; docs/model-format.md); training: metadata
   * stored in the manifest; pruneUserRows: a file for serving whose hashed user table holds only
   * the rows that the model's users and the anonymous row reach (format version 3: every user gets
   * the same vector).
   */
  toFiles(options?: { precision?: ModelPrecision; training?: TrainingInfo; pruneUserRows?: boolean }): { weights: Uint8Array; manifest: string };
}

/** The candidate ranker's training settings (core/serving/candidate_ranker.h). */
export interface CandidateRankerConfig {
  hidden?: number[];
  epochs?: number;
  batch_size?: number;
  learning_rate?: number;
  /** The label window: the last window_days of the fit logs. */
  window_days?: number;
  /** 'window': labels are what each user had in the last window_days; 'last': each user's own last event (leave-last-out). */
  holdout?: 'window' | 'last';
  seed?: number;
  /** Training candidates exclude what each user had before the cut (the explore protocol). */
  exclude_seen?: boolean;
  objective?: 'listwise' | 'pointwise';
}

export interface CandidateRankerInfo {
  scene: string;
  strategy: Record<string, unknown>;
  config: Required<CandidateRankerConfig>;
  features: string[];
  fit: { cut: number; examples: number; positives: number; users: number };
}

export class Trainer extends Handle {
  readonly done: boolean;
  readonly stepsPerEpoch: number;
  readonly examplesPerEpoch: number;
  readonly history: EpochReport[];
  /** Validation recall@10 of the most popular items, or null without validation data. */
  readonly popularityRecall: number | null;
  validationRecall(): number | null;
  step(n?: number): StepReport;
  train(options?: { onProgress?: (report: StepReport) => void; signal?: AbortSignal; sliceSteps?: number }): Promise<EpochReport[]>;
  /** A new handle to the model being trained (dispose it separately). */
  readonly model: Model;
  info(): TrainingInfo;
}

export interface EvalReport {
  model: string;
  protocol: 'full' | 'sampled';
  k: number;
  /** Users evaluated: with fit history and at least one new held-out item. */
  users: number;
  hit_rate: number;
  ndcg: number;
  recall: number;
  precision: number;
  mrr: number;
  map: number;
  /** Full protocol only. */
  coverage?: number;
  novelty?: number;
  ild_category?: number;
  ild_embedding?: number;
  gini?: number;
  /** With sourceRecall: each candidate source's recall@sourceQuota, and 'all' for the scene's sources together. */
  source_recall?: Record<SourceKind | 'all', number>;
  source_quota?: number;
  /** With lists: user id -> item ids, best first. */
  lists?: Record<string, string[]>;
  seconds: number;
}

export interface EvalOptions {
  /** A baseline, a two-tower Model, or 'pipeline': what a Recommender over `pipeline.model` serves. */
  model?: Model | 'random' | 'popularity' | 'personal-frequency' | 'itemknn' | 'ease' | 'mf' | 'pipeline';
  /** itemknn: {neighbours, shrink}; ease: {lambda}; mf: {factors, iterations, regularization, alpha, seed}; random: {seed}. */
  params?: Record<string, number>;
  /** With model 'pipeline': the model (its ranker is used unless useRanker is false), the scene and the strategy. */
  pipeline?: {
    model: Model; scene?: string; strategy?: Record<string, unknown>; useRanker?: boolean;
    /** Fit a candidate ranker on the fit logs first and serve with it. */
    candidateRanker?: CandidateRankerConfig;
    /** The two-tower the candidate ranker's training features come from (one trained before its cut). */
    featuresModel?: Model;
    /** The model's own candidate ranker serves (its scene and strategy the defaults) unless false or candidateRanker is given. */
    useCandidateRanker?: boolean;
  };
  /** With model 'pipeline': also the recall of the held-out items among each source's first N candidates. */
  sourceRecall?: number;
  /** Full protocol: the report keeps each evaluated user's top-K item ids (report.lists). */
  lists?: boolean;
  split?: 'leave-last-out' | 'temporal';
  validationStart?: string | number;
  testStart?: string | number;
  testEnd?: string | number;
  /** 'test' (fit on train + validation) or 'validation' (fit on train). */
  on?: 'test' | 'validation';
  k?: number;
  protocol?: 'full' | 'sampled';
  negatives?: number;
  excludeSeen?: boolean;
  maxUsers?: number;
}


export interface Recommendation {
  id: string;
  title: string;
  category: string;
  brand: string;
  price: number;
  rank: number;
  score: number;
  explanation: {
    /** The candidate sources that proposed the item (SourceKind names), joined by '+'. */
    source: string;
    retrievalScore: number;
    /** Objective score before diversity, normalised to [0, 1]. */
    relevance: number;
    diversityAdjustment: number;
    finalScore: number;
    /** Ranker probabilities (when the model has a ranker). */
    pClick?: number;
    pPurchase?: number;
  };
}

export interface RecommendRequest {
  userId?: string;
  session?: Session;
  scene?: Scene | string;
  k?: number;
  /** λ in [0, 1]: 0 keeps the relevance order; default: the scene's. */
  diversity?: number;
  /** The product of a product_page (default: the session's last viewed item). */
  itemId?: string;
  filters?: { categories?: string[]; brands?: string[]; exclude?: string[]; priceMin?: number; priceMax?: number };
}

export class Session extends Handle {
  readonly userId: string | null;
  readonly size: number;
  readonly version: number;
  track(event: { itemId: string; event: EventKind; timestamp?: number }): this;
  /**
   * Fine-tunes this visitor's adapter on the user tower's output on this device (a few Adam steps
   * on the user's history and this session's events; the model and the index stay frozen).
   * Defaults: steps 3, learningRate 0.005, l2 0. Returns the loss before each step and after the last.
   */
  personalise(options?: { steps?: number; learningRate?: number; l2?: number }): { losses: number[] };
  /** The adapter, or null when there is none. */
  readonly adapter: Float32Array | null;
  /** Sets the adapter (the model's dimension; e.g. from a Worker's fine-tuning) or removes it (null). */
  setAdapter(values: Float32Array | number[] | null): this;
  /** Forgets the events and the adapter. */
  clear(): this;
  /** The visit as plain data, for IndexedDB or a file; restore with recommender.restoreSession(). */
  toJSON(): SessionState;
}

/** A saved visit: session.toJSON(). `model` is the checksum of the model it was saved with. */
export interface SessionState {
  schema: 1;
  model: string;
  userId: string | null;
  events: { itemId: string; event: EventKind; timestamp: number }[];
  adapter: number[] | null;
}

export class Recommender extends Handle {
  /** The scene of a request that names none: the candidate ranker's scene when one serves, else 'default'. */
  readonly defaultScene: string;
  recommend(request?: RecommendRequest): Recommendation[];
  createSession(options?: { userId?: string }): Session;
  /** A logged user's items (ids, oldest first); [] when unknown. */
  userHistory(userId: string): string[];
  /** A session from session.toJSON(); refused (an Error naming both checksums) when saved for another model. */
  restoreSession(state: SessionState): Session;
  /** The served model's checksum. */
  readonly modelChecksum: string;
  /** Computes now what is otherwise computed on first use (the logs' co-occurrence): the same results either way; call it when idle, after the first list is shown. */
  prepare(): void;
  stats(): { requests: number; cacheHits: number; cacheSize: number; cacheHitRatio: number; index: IndexKind };
  /** Serves another model (same items) with its ranker and candidate ranker; the strategy and default scene stay. */
  reload(model: Model): void;
}

/** A standalone top-K index over your own vectors (inner product). */
export class VectorIndex extends Handle {
  readonly kind: IndexKind;
  readonly size: number;
  readonly dim: number;
  readonly memoryBytes: number;
  /** Indexes n vectors of d floats (row-major). */
  build(vectors: Float32Array, n: number, d: number): this;
  /** The k best rows for each of m queries (m × d floats), best first: m × k ids (-1 where fewer
   *  qualify) and scores, in fresh arrays. exclude: row indices in [0, size) never returned.
   *  Every query value must be finite (a RangeError names the query and the dimension). */
  search(queries: Float32Array, options?: { m?: number; k?: number; exclude?: Int32Array | number[] }): { ids: Int32Array; scores: Float32Array };
}

/** One strategy under test (ExperimentConfig.arms). */
export interface ArmConfig {
  name: string;
  /** Uniformly random items instead of a strategy. */
  random?: boolean;
  scene?: Scene | string;
  /** λ in [0, 1] (default: the scene's). */
  diversity?: number;
  use_ranker?: boolean;
  /** Merged onto the default strategy (scenes, sources, rules: core/strategy/strategy_config.h). */
  strategy?: Record<string, unknown>;
  /** Relative share of the A/B split (default 1). */
  weight?: number;
}

/** An experiment's settings; every key is optional (defaults in core/experiment/experiment.h). */
export interface ExperimentConfig {
  /** Default: model (two-tower + ranker), popularity, diversified (λ = 0.3), random; the first is the control. */
  arms?: ArmConfig[];
  /** Hash salt of the assignment (the same user always gets the same arm under one salt). */
  salt?: string;
  /** Planned A/B sessions (default 4,000). */
  sessions?: number;
  alpha?: number;
  seed?: number;
  /** Sessions per user under the control before the test, CUPED's covariate (default 1; 0: the logs). */
  pre_sessions?: number;
  simulator?: { slate_size?: number; max_slates?: number; position_bias?: number; continue_after_click?: number; continue_after_none?: number };
  bandit?: false | { policy?: 'epsilon_greedy' | 'ucb1' | 'thompson'; reward?: 'clicks' | 'revenue'; epsilon?: number; sessions?: number };
  ope?: false | { logging?: string; target?: string; epsilon?: number; sessions?: number };
}

/** An estimate with its interval at 1 - alpha. */
export interface Interval { value: number; ciLow: number; ciHigh: number }

export interface ArmReport {
  name: string;
  users: number;
  sessions: number;
  impressions: number;
  clicks: number;
  carts: number;
  purchases: number;
  revenue: number;
  /** Share of the catalog served. */
  coverage: number;
  ctr: Interval;
  conversion: Interval;
  cartRate: Interval;
  revenuePerUser: Interval;
  clicksPerUser: Interval;
  aov: Interval;
}

/** A test of one metric: treatment (the arm) against the control. */
export interface MetricTest {
  control: number;
  treatment: number;
  difference: number;
  relative: number;
  ciLow: number;
  ciHigh: number;
  statistic: number;
  /** Welch's degrees of freedom (null for z tests). */
  df: number | null;
  /** Fixed-horizon: valid at the planned size only. */
  pValue: number;
  /** Always valid (mixture SPRT), on CTR and revenue per user. */
  sequentialP?: number;
  sequentialCi?: [number | null, number | null];
  cuped?: { pValue: number; ciLow: number; ciHigh: number; theta: number; varianceReduction: number };
  usersFor80Power?: number | null;
}

export interface ExperimentReport {
  sessions: number;
  plannedSessions: number;
  alpha: number;
  seed: number;
  salt: string;
  done: boolean;
  arms: ArmReport[];
  comparisons: { arm: string; control: string; ctr: MetricTest; conversion: MetricTest; cartRate: MetricTest; revenuePerUser: MetricTest; clicksPerUser: MetricTest; aov: MetricTest | null }[];
  srm?: { chiSquare: number; pValue: number; mismatch: boolean; users: number[]; weights: number[] };
  warnings: string[];
  /** One point per step: per arm CTR and revenue per user, the first comparison's CTR p-values. */
  history: { sessions: number; arms: { ctr: Interval; revenuePerUser: Interval }[]; pValue?: number; sequentialP?: number }[];
  bandit?: { policy: string; reward: 'clicks' | 'revenue'; sessions: number; plannedSessions: number; pulls: number[]; means: number[]; totalReward: number; regret: number;
    history: { sessions: number; pulls: number[]; totalReward: number }[] };
  ope?: { logging: string; target: string; epsilon: number; sessions: number; plannedSessions: number; counts: number[];
    truth?: Interval; ips?: Interval; snips?: Interval; dr?: Interval };
}

export class Experiment extends Handle {
  readonly done: boolean;
  /** A/B sessions run so far. */
  readonly sessions: number;
  /** Runs up to n more sessions of each part and returns the report. */
  step(n?: number): ExperimentReport;
  report(): ExperimentReport;
  run(options?: { stepSessions?: number; onProgress?: (report: ExperimentReport) => void; signal?: AbortSignal }): Promise<ExperimentReport>;
}

export class Recsys {
  readonly version: string;
  readonly engine: 'full' | 'serve';
  /** Threads of the numeric kernels: 1 in the single-thread build, more in the pthread build. */
  readonly threads: number;
  /** Changes the pthread build's thread count (1 .. the count it was created with); same results. */
  setThreads(n: number): void;
  /** The kernels in use where there is a choice (the same results either way). */
  readonly kernels: { int8: 'relaxed-simd' | 'simd128' };
  /** The names the API accepts, from the C++ core (frozen arrays). */
  readonly enums: {
    readonly scenes: readonly Scene[];
    readonly events: readonly EventKind[];
    readonly indexKinds: readonly IndexKind[];
    readonly sources: readonly SourceKind[];
    readonly errorKinds: readonly ErrorKind[];
  };
  /** Memory in bytes: the wasm heap's size, what malloc has handed out of it now, and the most it has ever spanned. */
  memoryUsage(): { heapBytes: number; allocatedBytes: number; peakBytes: number };
  defaultShopConfig(): Required<ShopConfig>;
  generateShop(config?: ShopConfig): Dataset;
  loadCatalog(text: string, options?: { format?: 'csv' | 'json'; source?: string }): Catalog;
  loadDataset(files: {
    catalog: string;
    interactions: string;
    catalogFormat?: 'csv' | 'json';
    interactionsFormat?: 'csv' | 'json';
  }): Dataset;
  /** The binary form of a dataset (a shop.bin, docs/shop-format.md): nothing to parse. */
  loadDataset(files: { shop: Uint8Array | ArrayBuffer }): Dataset;
  loadOnlineRetail(files: { items: string; baskets: string }): Dataset;
  loadOnlineRetailCsv(text: string, options?: { source?: string }): Dataset;
  createTrainer(dataset: Dataset, options?: TrainerOptions): Trainer;
  evaluate(dataset: Dataset, options?: EvalOptions): EvalReport;
  createRecommender(options: {
    model: Model;
    dataset: Dataset;
    index?: IndexKind | { kind?: IndexKind; rerank?: number; nlist?: number; nprobe?: number; prune?: boolean };
    /** Scenes, sources and quotas, objective, rules (see core/strategy/strategy_config.h). */
    strategy?: Record<string, unknown>;
    cacheCapacity?: number;
    useRanker?: boolean;
    /** The model's candidate ranker serves (with its strategy and scene as the defaults) unless false. */
    useCandidateRanker?: boolean;
  }): Recommender;
  /**
   * kind 'exact' (default): the full scan's lists. prune: score in floats only the rows that a bound
   * from int8 codes kept beside the floats does not rule out (the same lists, bit for bit; the codes
   * and their high four bits: about 40 % more memory at 64 dimensions). Unset: from 32,768 vectors, where a sample of queries shows that it pays.
   */
  createIndex(options?: { kind?: IndexKind; rerank?: number; nlist?: number; nprobe?: number; seed?: number; prune?: boolean }): VectorIndex;
  /** An experiment on a shop from generateShop() (it carries the hidden truth), with a model and its ranker. */
  createExperiment(options: { model: Model; dataset: Dataset; config?: ExperimentConfig }): Experiment;
  /** Units per arm for a two-sided test to reach the power: a mean's standardised effect, or two rates. */
  sampleSize(options: { effectSize: number; power?: number; alpha?: number } | { control: number; treatment: number; power?: number; alpha?: number }): number;
  power(options: { n: number; effectSize: number; alpha?: number } | { n: number; control: number; treatment: number; alpha?: number }): number;
  /** weights / manifest: bytes (or the manifest JSON text), a URL, or in Node a file path or file: URL. */
  loadModel(files: { weights: Uint8Array | ArrayBuffer | string | URL; manifest: string | URL }): Promise<Model>;
}

/** Loads the full engine, or with engine: 'serve' the smaller serving engine (no training,
 *  evaluation, shop generation or model saving: those throw an Error saying so). threads: 'auto'
 *  runs the full engine's pthread build on every core (up to 8) in a cross-origin-isolated page and
 *  the single-thread build elsewhere; a number asks for that many (default 1). Same results either way. */
export function createRecsys(options?: {
  engine?: 'full' | 'serve';
  threads?: 'auto' | number;
  wasmBinary?: ArrayBuffer | Uint8Array;
  wasmUrl?: string | URL;
  /** That engine's .wasm already compiled, e.g. WebAssembly.compileStreaming(fetch(url)) in the page's head. */
  wasmModule?: WebAssembly.Module | Promise<WebAssembly.Module>;
  /** Use the relaxed-SIMD int8 kernel where the runtime has it (default true; the same results either way). */
  relaxedSimd?: boolean;
}): Promise<Recsys>;
export default createRecsys;
