// Type declarations for recsys-wasm (wasm/index.mjs).

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
  /** 'leave-last-out' (default): validation on each user's last new item; 'none': every event trains. */
  split?: 'leave-last-out' | 'none';
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  validationUsers?: number;
  /** Epochs without a better validation recall before stopping (0: never). */
  patience?: number;
}

export class Model extends Handle {
  readonly numItems: number;
  readonly numUsers: number;
  readonly dim: number;
  readonly config: Record<string, unknown>;
  recommend(query?: { userId?: string; history?: string[]; k?: number }): { id: string; score: number }[];
  toFiles(training?: TrainingInfo): { weights: Uint8Array; manifest: string };
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

export class Recsys {
  readonly version: string;
  /** Memory in bytes: the wasm heap's size, and what malloc has handed out of it now. */
  memoryUsage(): { heapBytes: number; allocatedBytes: number };
  defaultShopConfig(): Required<ShopConfig>;
  generateShop(config?: ShopConfig): Dataset;
  loadCatalog(text: string, options?: { format?: 'csv' | 'json'; source?: string }): Catalog;
  loadDataset(files: {
    catalog: string;
    interactions: string;
    catalogFormat?: 'csv' | 'json';
    interactionsFormat?: 'csv' | 'json';
  }): Dataset;
  loadOnlineRetail(files: { items: string; baskets: string }): Dataset;
  loadOnlineRetailCsv(text: string, options?: { source?: string }): Dataset;
  createTrainer(dataset: Dataset, options?: TrainerOptions): Trainer;
  loadModel(files: { weights: Uint8Array | ArrayBuffer | string | URL; manifest: string | URL }): Promise<Model>;
}

export function createRecsys(options?: {
  wasmBinary?: ArrayBuffer | Uint8Array;
  wasmUrl?: string | URL;
}): Promise<Recsys>;
export default createRecsys;
