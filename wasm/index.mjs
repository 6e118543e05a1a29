// recsys-wasm: the JavaScript API over the WebAssembly core.
// Works in a page, in a module Worker and in Node (where the .wasm is read from disk).
// Long-lived objects own a C++ object: call dispose() when done; a FinalizationRegistry frees
// the ones that are garbage-collected without it. Results are plain JS values, never views
// into wasm memory.
import createRecsysModule from './recsys.mjs';

const isNode =
  typeof process === 'object' && process !== null && typeof process.versions?.node === 'string' &&
  typeof window === 'undefined' && typeof importScripts === 'undefined';

const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((handle) => { try { handle.delete(); } catch { /* already freed */ } })
  : null;

/** Owns one C++ object; subclasses expose its methods. */
class Handle {
  #handle;
  #kind;
  constructor(handle, kind) {
    this.#handle = handle;
    this.#kind = kind;
    registry?.register(this, handle, this);
  }
  /** The live C++ object; throws when disposed. @protected */
  get _h() {
    if (!this.#handle) throw new Error(`${this.#kind} has been disposed`);
    return this.#handle;
  }
  /** Frees the C++ object now. Safe to call twice. */
  dispose() {
    if (!this.#handle) return;
    registry?.unregister(this);
    this.#handle.delete();
    this.#handle = null;
  }
  get disposed() { return this.#handle === null; }
}

function checkString(value, name) {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  return value;
}

function checkFormat(value, name) {
  if (value !== 'csv' && value !== 'json') {
    throw new RangeError(`${name} must be 'csv' or 'json', got ${describe(value)}`);
  }
  return value;
}

function checkInt(value, name, min, max = Number.MAX_SAFE_INTEGER) {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function guessFormat(text) {
  const t = text.trimStart();
  return t.startsWith('{') || t.startsWith('[') ? 'json' : 'csv';
}

// Integer settings of the synthetic shop and their lower bounds; the C++ core checks the rest.
const SHOP_INTS = { seed: 0, users: 1, items: 1, interactions: 1, categories: 1, brands: 1, latent_dim: 1 };

/** A catalog of items. */
export class Catalog extends Handle {
  constructor(handle) { super(handle, 'Catalog'); }
  /** Number of items. */
  get size() { return this._h.size(); }
  /** Row index of an item id, or -1. */
  indexOf(id) { return this._h.find(checkString(id, 'id')); }
  /** Items [offset, offset + limit) as plain objects. */
  items({ offset = 0, limit = 20 } = {}) {
    checkInt(offset, 'offset', 0, 2 ** 31 - 1);
    checkInt(limit, 'limit', 0, 2 ** 31 - 1);
    return JSON.parse(this._h.itemsJson(offset, limit)).items;
  }
  /** The catalog as CSV text. */
  toCsv() { return this._h.toCsv(); }
}

/** A catalog plus interactions on it. */
export class Dataset extends Handle {
  constructor(handle, module) { super(handle, 'Dataset'); this._m = module; }
  get numUsers() { return this._h.numUsers(); }
  get numItems() { return this._h.numItems(); }
  get numInteractions() { return this._h.numInteractions(); }
  /** Counts, event mix, prices, time range, density and the content checksum. */
  stats() { return JSON.parse(this._h.statsJson()); }
  /** Catalog items [offset, offset + limit) as plain objects. */
  items({ offset = 0, limit = 20 } = {}) {
    checkInt(offset, 'offset', 0, 2 ** 31 - 1);
    checkInt(limit, 'limit', 0, 2 ** 31 - 1);
    return JSON.parse(this._h.itemsJson(offset, limit)).items;
  }
  catalogCsv() { return this._h.catalogCsv(); }
  interactionsCsv() { return this._h.interactionsCsv(); }
  /**
   * The data as fresh typed arrays: per interaction (grouped by user, in time order) user and item
   * indices, timestamp (seconds), event code (0 view, 1 click, 2 add_to_cart, 3 purchase) and
   * quantity; per item its category and brand index and price.
   */
  arrays() {
    const m = this._m;
    this._h.prepareColumns();
    const get = (name) => m.columnView(name).slice();
    const out = {
      interactions: { user: get('user'), item: get('item'), timestamp: get('timestamp'), event: get('event'), quantity: get('quantity') },
      items: { category: get('category'), brand: get('brand'), price: get('price') },
    };
    m.releaseColumns();
    return out;
  }
}

/** A two-tower retrieval model (trained here or loaded from files). */
export class Model extends Handle {
  #m;
  constructor(handle, module) { super(handle, 'Model'); this.#m = module; }
  get numItems() { return this._h.numItems(); }
  get numUsers() { return this._h.numUsers(); }
  /** Embedding size. */
  get dim() { return this._h.dim(); }
  /** The model's configuration (preset, sizes, loss settings). */
  get config() { return JSON.parse(this._h.configJson()); }
  /**
   * Top-k items for a known user and/or recent items (oldest first); without userId the user is
   * anonymous and served from history alone.
   * @returns {{id: string, score: number}[]}
   */
  recommend({ userId = undefined, history = [], k = 10 } = {}) {
    if (userId !== undefined) checkString(userId, 'userId');
    if (!Array.isArray(history)) throw new TypeError(`history must be an array of item ids, got ${describe(history)}`);
    history.forEach((id, i) => checkString(id, `history[${i}]`));
    checkInt(k, 'k', 1, 100000);
    return JSON.parse(this._h.recommendJson(userId ?? '', JSON.stringify(history), k));
  }
  /**
   * The model files: weights (safetensors) and manifest (JSON text).
   * @param {object} [training] training metadata stored in the manifest
   * @returns {{weights: Uint8Array, manifest: string}}
   */
  toFiles(training = {}) {
    const manifest = this._h.save(JSON.stringify(training));
    const weights = this.#m.savedWeightsView().slice();  // copy out of wasm memory at once
    this.#m.releaseSavedWeights();
    return { weights, manifest };
  }
}

/** Step-wise training of a two-tower model on a dataset. */
export class Trainer extends Handle {
  #m;
  #history = [];
  constructor(handle, module) { super(handle, 'Trainer'); this.#m = module; }
  get done() { return this._h.done(); }
  get stepsPerEpoch() { return this._h.stepsPerEpoch(); }
  get examplesPerEpoch() { return this._h.examplesPerEpoch(); }
  /** Epoch reports so far: {epoch, meanLoss, seconds, examples, validationRecall?}. */
  get history() { return this.#history.slice(); }
  /** Validation recall@10 of the most popular items (null without validation data). */
  get popularityRecall() { const r = this._h.popularityRecall(); return r < 0 ? null : r; }
  /** Validation recall@10 of the model now (null without validation data). */
  validationRecall() { return this.popularityRecall === null ? null : this._h.validationRecall(); }
  /**
   * Runs up to n steps (fewer at the end) and reports them.
   * @returns {{steps, examples, meanLoss, examplesPerSecond, seconds, epoch, stepInEpoch, stepsPerEpoch, totalSteps, finishedEpochs, done, stoppedEarly}}
   */
  step(n = 1) {
    checkInt(n, 'n', 1, 1e9);
    const report = JSON.parse(this._h.trainSteps(n));
    this.#history.push(...report.finishedEpochs);
    return report;
  }
  /**
   * Trains to the end in slices, yielding to the event loop between them.
   * @param {{onProgress?: (r: object) => void, signal?: AbortSignal, sliceSteps?: number}} [options]
   */
  async train({ onProgress = undefined, signal = undefined, sliceSteps = 20 } = {}) {
    if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError('onProgress must be a function');
    checkInt(sliceSteps, 'sliceSteps', 1, 1e6);
    while (!this.done) {
      if (signal?.aborted) throw signal.reason ?? new Error('training aborted');
      const report = this.step(sliceSteps);
      onProgress?.(report);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return this.history;
  }
  /** The model being trained (a new handle to the same model; dispose it separately). */
  get model() { return new Model(this._h.model(), this.#m); }
  /** Training metadata as stored in a model manifest. */
  info() { return JSON.parse(this._h.infoJson()); }
}

async function bytesOf(source, name) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof source === 'string' || source instanceof URL) {
    const r = await fetch(source);
    if (!r.ok) throw new Error(`${name}: HTTP ${r.status} for ${source}`);
    return new Uint8Array(await r.arrayBuffer());
  }
  throw new TypeError(`${name} must be a Uint8Array, an ArrayBuffer or a URL, got ${describe(source)}`);
}

async function textOf(source, name) {
  if (typeof source === 'string' && source.trimStart().startsWith('{')) return source;
  if (typeof source === 'string' || source instanceof URL) {
    const r = await fetch(source);
    if (!r.ok) throw new Error(`${name}: HTTP ${r.status} for ${source}`);
    return r.text();
  }
  throw new TypeError(`${name} must be JSON text or a URL, got ${describe(source)}`);
}

/** The loaded engine. Create it with createRecsys(). */
export class Recsys {
  #m;
  constructor(module) { this.#m = module; }

  /** Version of the C++ core. */
  get version() { return this.#m.version(); }

  /** Memory in bytes: the wasm heap's size, and what malloc has handed out of it now. */
  memoryUsage() {
    return { heapBytes: this.#m.HEAPU8.buffer.byteLength, allocatedBytes: this.#m.allocatedBytes() };
  }

  /** Default settings of the synthetic shop. */
  defaultShopConfig() { return JSON.parse(this.#m.defaultSyntheticConfig()); }

  /**
   * Generates the seeded synthetic shop (defaults: 10,000 users, 5,000 items, 100,000 events).
   * @param {object} [config] overrides of defaultShopConfig()
   */
  generateShop(config = {}) {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      throw new TypeError(`config must be an object, got ${describe(config)}`);
    }
    for (const [key, min] of Object.entries(SHOP_INTS)) {
      if (key in config) checkInt(config[key], `config.${key}`, min);
    }
    return new Dataset(this.#m.generateShop(JSON.stringify(config)), this.#m);
  }

  /** Parses a catalog from CSV or JSON text. */
  loadCatalog(text, { format = undefined, source = undefined } = {}) {
    checkString(text, 'text');
    const fmt = checkFormat(format ?? guessFormat(text), 'format');
    return new Catalog(this.#m.loadCatalog(text, fmt, checkString(source ?? `catalog.${fmt}`, 'source')));
  }

  /** Parses a catalog and its interactions (CSV or JSON text each). */
  loadDataset({ catalog, interactions, catalogFormat = undefined, interactionsFormat = undefined } = {}) {
    checkString(catalog, 'catalog');
    checkString(interactions, 'interactions');
    const cf = checkFormat(catalogFormat ?? guessFormat(catalog), 'catalogFormat');
    const xf = checkFormat(interactionsFormat ?? guessFormat(interactions), 'interactionsFormat');
    return new Dataset(this.#m.loadDataset(catalog, cf, `catalog.${cf}`, interactions, xf, `interactions.${xf}`), this.#m);
  }

  /** Loads the committed UCI Online Retail extract (data/online_retail/items.csv + baskets.csv). */
  loadOnlineRetail({ items, baskets } = {}) {
    checkString(items, 'items');
    checkString(baskets, 'baskets');
    return new Dataset(this.#m.loadOnlineRetailExtract(items, baskets), this.#m);
  }

  /**
   * A trainer for a two-tower model on a dataset.
   * @param {Dataset} dataset
   * @param {{preset?: 'seed'|'default', config?: object, split?: 'leave-last-out'|'none', epochs?: number,
   *   batchSize?: number, learningRate?: number, seed?: number, validationUsers?: number, patience?: number}} [options]
   */
  createTrainer(dataset, options = {}) {
    if (!(dataset instanceof Dataset)) throw new TypeError(`dataset must be a Dataset, got ${describe(dataset)}`);
    const { preset = 'default', config = {}, split = 'leave-last-out', epochs, batchSize, learningRate, seed,
      validationUsers, patience } = options;
    if (preset !== 'seed' && preset !== 'default') throw new RangeError(`preset must be 'seed' or 'default', got ${describe(preset)}`);
    if (split !== 'leave-last-out' && split !== 'none') throw new RangeError(`split must be 'leave-last-out' or 'none', got ${describe(split)}`);
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new TypeError(`config must be an object, got ${describe(config)}`);
    const cfg = { ...config, preset };
    if (epochs !== undefined) cfg.epochs = checkInt(epochs, 'epochs', 1, 100000);
    if (batchSize !== undefined) cfg.batch_size = checkInt(batchSize, 'batchSize', 2, 65536);
    if (seed !== undefined) cfg.seed = checkInt(seed, 'seed', 0, 2 ** 31 - 1);
    if (learningRate !== undefined) {
      if (typeof learningRate !== 'number' || Number.isNaN(learningRate)) throw new TypeError(`learningRate must be a number, got ${describe(learningRate)}`);
      if (!(learningRate > 0 && learningRate <= 10)) throw new RangeError(`learningRate must be in (0, 10], got ${learningRate}`);
      cfg.learning_rate = learningRate;
    }
    const opts = { split };
    if (validationUsers !== undefined) opts.validation_users = checkInt(validationUsers, 'validationUsers', 1);
    if (patience !== undefined) opts.early_stopping_patience = checkInt(patience, 'patience', 0, 1000);
    return new Trainer(this.#m.createTrainingJob(dataset._h, JSON.stringify(cfg), JSON.stringify(opts)), this.#m);
  }

  /**
   * Loads a model from its files (bytes or URLs). A bad file throws and changes nothing.
   * @param {{weights: Uint8Array|ArrayBuffer|string|URL, manifest: string|URL}} files
   */
  async loadModel({ weights, manifest } = {}) {
    const [w, m] = await Promise.all([bytesOf(weights, 'weights'), textOf(manifest, 'manifest')]);
    return new Model(this.#m.loadModel(w, m, 'model'), this.#m);
  }

  /** Loads the raw UCI Online Retail CSV. */
  loadOnlineRetailCsv(text, { source = 'online_retail.csv' } = {}) {
    return new Dataset(this.#m.loadOnlineRetailCsv(checkString(text, 'text'), checkString(source, 'source')), this.#m);
  }
}

/**
 * Loads the WebAssembly module. In Node the .wasm next to this file is read from disk.
 * @param {{wasmBinary?: ArrayBuffer|Uint8Array, wasmUrl?: string|URL}} [options]
 */
export async function createRecsys(options = {}) {
  const args = {};
  if (options.wasmBinary) {
    args.wasmBinary = options.wasmBinary;
  } else if (isNode && !options.wasmUrl) {
    const { readFile } = await import('node:fs/promises');
    args.wasmBinary = await readFile(new URL('./recsys.wasm', import.meta.url));
  }
  if (options.wasmUrl) {
    const url = String(options.wasmUrl);
    args.locateFile = (path, prefix) => (path.endsWith('.wasm') ? url : prefix + path);
  }
  const module = await createRecsysModule(args);
  return new Recsys(module);
}

export default createRecsys;
