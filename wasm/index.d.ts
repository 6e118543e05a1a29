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
}

export function createRecsys(options?: {
  wasmBinary?: ArrayBuffer | Uint8Array;
  wasmUrl?: string | URL;
}): Promise<Recsys>;
export default createRecsys;
