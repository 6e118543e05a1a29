// recsys-wasm: the JavaScript API over the WebAssembly core.
// Works in a page, in a module Worker and in Node (where the .wasm is read from disk).
// Long-lived objects own a C++ object: call dispose() when done; a FinalizationRegistry frees
// the ones that are garbage-collected without it. Results are plain JS values, never views
// into wasm memory.

const isNode =
  typeof process === 'object' && process !== null && typeof process.versions?.node === 'string' &&
  typeof window === 'undefined' && typeof importScripts === 'undefined';

const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((handle) => { try { handle.delete(); } catch { /* already freed */ } })
  : null;

// The serving engine (createRecsys({ engine: 'serve' })) leaves out training, evaluation, shop
// generation and model saving; calling one of those on it is a clear error.
function requireFull(module, what) {
  if (module.engine() !== 'full') {
    throw new Error(`${what} is not in the serving engine; create the full one with createRecsys() (engine: 'full')`);
  }
}

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
  /** User ids [offset, offset + limit). */
  userIds({ offset = 0, limit = 100 } = {}) {
    checkInt(offset, 'offset', 0, 2 ** 31 - 1);
    checkInt(limit, 'limit', 0, 2 ** 31 - 1);
    return JSON.parse(this._h.userIdsJson(offset, limit));
  }
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
  #ranker;
  constructor(handle, module, ranker = null) {
    super(handle, 'Model');
    this.#m = module;
    this.#ranker = ranker;
    if (ranker) registry?.register(this, ranker, ranker);
  }
  /**
   * Loads model files (URLs, paths in Node, or bytes) — the same as recsys.loadModel(files) on the
   * given engine, or on a shared one that the first call creates.
   * @param {{weights: Uint8Array|ArrayBuffer|string|URL, manifest: string|URL}} files
   * @param {{recsys?: Recsys}} [options]
   */
  static async load(files, { recsys } = {}) {
    if (recsys !== undefined && !(recsys instanceof Recsys)) {
      throw new TypeError(`options.recsys must be a Recsys from createRecsys(), got ${describe(recsys)}`);
    }
    return (recsys ?? await sharedRecsys()).loadModel(files);
  }
  /** Whether a ranking model comes with this model (re-ranks in a Recommender). */
  get hasRanker() { return this.#ranker !== null; }
  /** @internal */
  get _ranker() { return this.#ranker; }
  /** Trains a ranking model for this model on a dataset (simulated impressions on the synthetic
   *  shop, logged events against random items otherwise) and attaches it. */
  fitRanker(dataset) {
    requireFull(this.#m, 'Model.fitRanker()');
    if (!(dataset instanceof Dataset)) throw new TypeError(`dataset must be a Dataset, got ${describe(dataset)}`);
    const r = this.#m.fitRanker(this._h, dataset._h);
    this.#ranker?.delete();
    this.#ranker = r;
  }
  dispose() {
    if (this.#ranker) {
      registry?.unregister(this.#ranker);
      this.#ranker.delete();
      this.#ranker = null;
    }
    super.dispose();
  }
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
    requireFull(this.#m, 'Model.toFiles()');
    const manifest = this.#ranker
      ? this.#m.saveWithRanker(this._h, this.#ranker, JSON.stringify(training))
      : this._h.save(JSON.stringify(training));
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

// In Node, file: URLs and plain paths are read from disk; everything else goes through fetch().
async function readSource(source, name) {
  if (isNode) {
    let file = null;
    if (source instanceof URL && source.protocol === 'file:') file = source;
    else if (typeof source === 'string' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) file = source;
    else if (typeof source === 'string' && source.startsWith('file://')) file = new URL(source);
    if (file) {
      const { readFile } = await import('node:fs/promises');
      try {
        return new Uint8Array(await readFile(file));
      } catch (e) {
        throw new Error(`${name}: cannot read ${source}: ${e.message}`);
      }
    }
  }
  const r = await fetch(source);
  if (!r.ok) throw new Error(`${name}: HTTP ${r.status} for ${source}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function bytesOf(source, name) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof source === 'string' || source instanceof URL) return readSource(source, name);
  throw new TypeError(`${name} must be a Uint8Array, an ArrayBuffer or a URL, got ${describe(source)}`);
}

async function textOf(source, name) {
  if (typeof source === 'string' && source.trimStart().startsWith('{')) return source;
  if (typeof source === 'string' || source instanceof URL) return new TextDecoder().decode(await readSource(source, name));
  throw new TypeError(`${name} must be JSON text or a URL, got ${describe(source)}`);
}

const EVENTS = ['view', 'click', 'add_to_cart', 'purchase'];

/** A visit: events that change the next recommendations at once. Create with recommender.createSession(). */
export class Session extends Handle {
  #rec;
  constructor(handle, recommender) { super(handle, 'Session'); this.#rec = recommender; }
  /** @internal */
  get _recommender() { return this.#rec; }
  get userId() { return this._h.userId() || null; }
  /** Events so far. */
  get size() { return this._h.size(); }
  /** Bumped by every event. */
  get version() { return this._h.version(); }
  /**
   * Records an event. timestamp: seconds since 1970 (default: now, never before the last event).
   * @param {{itemId: string, event: 'view'|'click'|'add_to_cart'|'purchase', timestamp?: number}} e
   */
  track({ itemId, event, timestamp } = {}) {
    checkString(itemId, 'itemId');
    if (!EVENTS.includes(event)) throw new RangeError(`event must be one of ${EVENTS.join(', ')}, got ${describe(event)}`);
    const last = this._h.lastTimestamp();
    let t = timestamp;
    if (t === undefined) t = Math.max(Math.floor(Date.now() / 1000), last);
    else if (typeof t !== 'number' || !Number.isFinite(t)) throw new TypeError(`timestamp must be a number, got ${describe(t)}`);
    this.#rec._track(this._h, itemId, event, t);
    return this;
  }
}

/** The request path: retrieval index, ranker, strategy (scenes, diversity, rules), sessions, cache. */
export class Recommender extends Handle {
  #m;
  constructor(handle, module) { super(handle, 'Recommender'); this.#m = module; }
  /**
   * @param {{userId?: string, session?: Session, scene?: 'home_page'|'cart_page'|'product_page'|'default'|string,
   *   k?: number, diversity?: number, itemId?: string,
   *   filters?: {categories?: string[], brands?: string[], exclude?: string[], priceMin?: number, priceMax?: number}}} [request]
   * @returns {{id, title, category, brand, price, rank, score, explanation: {source, retrievalScore, relevance, diversityAdjustment, finalScore, pClick?, pPurchase?}}[]}
   */
  recommend({ userId, session, scene = 'default', k = 10, diversity, itemId, filters } = {}) {
    const req = { scene: checkString(scene, 'scene'), k: checkInt(k, 'k', 1, 1000) };
    if (userId !== undefined) req.userId = checkString(userId, 'userId');
    if (itemId !== undefined) req.itemId = checkString(itemId, 'itemId');
    if (diversity !== undefined) {
      if (typeof diversity !== 'number' || Number.isNaN(diversity)) throw new TypeError(`diversity must be a number, got ${describe(diversity)}`);
      if (diversity < 0 || diversity > 1) throw new RangeError(`diversity must be in [0, 1], got ${diversity}`);
      req.diversity = diversity;
    }
    if (filters !== undefined) {
      if (filters === null || typeof filters !== 'object' || Array.isArray(filters)) throw new TypeError(`filters must be an object, got ${describe(filters)}`);
      const f = {};
      for (const key of ['categories', 'brands', 'exclude']) {
        if (filters[key] === undefined) continue;
        if (!Array.isArray(filters[key])) throw new TypeError(`filters.${key} must be an array of strings, got ${describe(filters[key])}`);
        filters[key].forEach((v, i) => checkString(v, `filters.${key}[${i}]`));
        f[key] = filters[key];
      }
      for (const key of ['priceMin', 'priceMax']) {
        if (filters[key] === undefined) continue;
        if (typeof filters[key] !== 'number' || Number.isNaN(filters[key])) throw new TypeError(`filters.${key} must be a number, got ${describe(filters[key])}`);
        if (Number.isFinite(filters[key])) f[key] = filters[key];
      }
      for (const key of Object.keys(filters)) {
        if (!['categories', 'brands', 'exclude', 'priceMin', 'priceMax'].includes(key)) throw new TypeError(`filters.${key} is not a filter`);
      }
      req.filters = f;
    }
    if (session !== undefined && !(session instanceof Session)) throw new TypeError(`session must be a Session, got ${describe(session)}`);
    if (session !== undefined && session._recommender !== this) throw new TypeError('session was created by another Recommender');
    const json = session ? this._h.recommendSessionJson(JSON.stringify(req), session._h) : this._h.recommendJson(JSON.stringify(req));
    return JSON.parse(json);
  }
  /** A session for a known user, or an anonymous one. */
  createSession({ userId } = {}) {
    if (userId !== undefined) checkString(userId, 'userId');
    return new Session(this._h.createSession(userId ?? ''), this);
  }
  /** @internal */
  _track(sessionHandle, itemId, event, timestamp) { this._h.track(sessionHandle, itemId, event, timestamp); }
  /** Requests served, cache hits and hit ratio, the index in use. */
  stats() { return JSON.parse(this._h.statsJson()); }
  /** Serves another model (same items): rebuilds the index, clears the cache. */
  reload(model) {
    if (!(model instanceof Model)) throw new TypeError(`model must be a Model, got ${describe(model)}`);
    this._h.reload(model._h, model._ranker);
  }
}

/** Top-K inner-product search over your own vectors (exact, int8 or IVF). */
export class VectorIndex extends Handle {
  #m;
  constructor(handle, module) { super(handle, 'VectorIndex'); this.#m = module; }
  get kind() { return this._h.name(); }
  get size() { return this._h.size(); }
  get dim() { return this._h.dim(); }
  get memoryBytes() { return this._h.memoryBytes(); }
  /** Indexes n vectors of d floats (row-major). */
  build(vectors, n, d) {
    if (!(vectors instanceof Float32Array)) throw new TypeError(`vectors must be a Float32Array, got ${describe(vectors)}`);
    checkInt(n, 'n', 1, 2 ** 31 - 1);
    checkInt(d, 'd', 1, 65536);
    if (vectors.length !== n * d) throw new RangeError(`vectors has ${vectors.length} floats, n * d = ${n * d}`);
    const ptr = this._h.reserve(n, d);
    this.#m.HEAPF32.set(vectors, ptr / 4);  // re-read HEAPF32: reserve() may have grown memory
    this._h.buildReserved();
    return this;
  }
  /**
   * The k best items of each of m queries (m × d floats), best first.
   * @returns {{ids: Int32Array, scores: Float32Array}} m × k each (-1 where fewer items qualify)
   */
  search(queries, { m = 1, k = 10, exclude = undefined } = {}) {
    if (!(queries instanceof Float32Array)) throw new TypeError(`queries must be a Float32Array, got ${describe(queries)}`);
    checkInt(m, 'm', 1, 1e6);
    checkInt(k, 'k', 1, 1e5);
    if (this.size === 0) throw new Error(`${this.kind} index: search before build`);
    const d = this.dim;
    if (queries.length !== m * d) throw new RangeError(`queries has ${queries.length} floats, m * d = ${m * d}`);
    if (exclude !== undefined && !(exclude instanceof Int32Array) && !Array.isArray(exclude)) {
      throw new TypeError(`exclude must be an array of item indices, got ${describe(exclude)}`);
    }
    if (exclude !== undefined) exclude.forEach((v, i) => checkInt(v, `exclude[${i}]`, 0, this.size - 1));
    const ptr = this.#m.queryBuffer(m * d);
    this.#m.HEAPF32.set(queries, ptr / 4);
    this._h.search(m, k, exclude === undefined ? null : exclude);
    return { ids: this.#m.resultIdsView().slice(), scores: this.#m.resultScoresView().slice() };
  }
}

/** The loaded engine. Create it with createRecsys(). */
export class Recsys {
  #m;
  constructor(module) { this.#m = module; }

  /** Version of the C++ core. */
  get version() { return this.#m.version(); }

  /** 'full', or 'serve' for the smaller serving engine (no training, evaluation, generation, saving). */
  get engine() { return this.#m.engine(); }

  /** Memory in bytes: the wasm heap's size, and what malloc has handed out of it now. */
  memoryUsage() {
    return { heapBytes: this.#m.HEAPU8.buffer.byteLength, allocatedBytes: this.#m.allocatedBytes() };
  }

  /** Default settings of the synthetic shop. */
  defaultShopConfig() {
    requireFull(this.#m, 'defaultShopConfig()');
    return JSON.parse(this.#m.defaultSyntheticConfig());
  }

  /**
   * Generates the seeded synthetic shop (defaults: 10,000 users, 5,000 items, 100,000 events).
   * @param {object} [config] overrides of defaultShopConfig()
   */
  generateShop(config = {}) {
    requireFull(this.#m, 'generateShop()');
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
    requireFull(this.#m, 'createTrainer()');
    if (!(dataset instanceof Dataset)) throw new TypeError(`dataset must be a Dataset, got ${describe(dataset)}`);
    const { preset = 'default', config = {}, split = 'leave-last-out', epochs, batchSize, learningRate, seed,
      validationUsers, patience, validationStart, testStart } = options;
    if (preset !== 'seed' && preset !== 'default') throw new RangeError(`preset must be 'seed' or 'default', got ${describe(preset)}`);
    if (!['leave-last-out', 'temporal', 'none'].includes(split)) throw new RangeError(`split must be 'leave-last-out', 'temporal' or 'none', got ${describe(split)}`);
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
    for (const [key, v] of [['validation_start', validationStart], ['test_start', testStart]]) {
      if (v === undefined) continue;
      if (typeof v !== 'string' && typeof v !== 'number') throw new TypeError(`${key} must be a date string or seconds, got ${describe(v)}`);
      opts[key] = v;
    }
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
    const handle = this.#m.loadModel(w, m, 'model');
    let ranker = null;
    try {
      ranker = this.#m.loadRanker(w, m, handle);
    } catch (e) {
      handle.delete();
      throw e;
    }
    return new Model(handle, this.#m, ranker);
  }

  /**
   * Offline evaluation (full ranking by default) of a baseline or a model on a dataset's split.
   * @param {Dataset} dataset
   * @param {{model?: Model|'random'|'popularity'|'itemknn'|'mf', params?: object,
   *   split?: 'leave-last-out'|'temporal', validationStart?: string|number, testStart?: string|number,
   *   testEnd?: string|number, on?: 'test'|'validation', k?: number, protocol?: 'full'|'sampled',
   *   negatives?: number, excludeSeen?: boolean, maxUsers?: number}} [options]
   * @returns {{model, protocol, k, users, hit_rate, ndcg, recall, precision, mrr, map, coverage?, novelty?, ild_category?, ild_embedding?, gini?, seconds}}
   */
  evaluate(dataset, options = {}) {
    requireFull(this.#m, 'evaluate()');
    if (!(dataset instanceof Dataset)) throw new TypeError(`dataset must be a Dataset, got ${describe(dataset)}`);
    const { model = 'popularity', params = {}, split = 'leave-last-out', validationStart, testStart, testEnd,
      on = 'test', k = 10, protocol = 'full', negatives = 100, excludeSeen = true, maxUsers = 0 } = options;
    const baselines = ['random', 'popularity', 'itemknn', 'mf'];
    if (!(model instanceof Model) && !baselines.includes(model)) {
      throw new TypeError(`model must be a Model or one of ${baselines.join(', ')}, got ${describe(model)}`);
    }
    if (!['leave-last-out', 'temporal'].includes(split)) throw new RangeError(`split must be 'leave-last-out' or 'temporal', got ${describe(split)}`);
    if (!['test', 'validation'].includes(on)) throw new RangeError(`on must be 'test' or 'validation', got ${describe(on)}`);
    if (!['full', 'sampled'].includes(protocol)) throw new RangeError(`protocol must be 'full' or 'sampled', got ${describe(protocol)}`);
    if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new TypeError(`params must be an object, got ${describe(params)}`);
    if (typeof excludeSeen !== 'boolean') throw new TypeError(`excludeSeen must be a boolean, got ${describe(excludeSeen)}`);
    const req = {
      model: model instanceof Model ? 'two-tower' : model, params, split, on,
      k: checkInt(k, 'k', 1, 100000), protocol, negatives: checkInt(negatives, 'negatives', 1, 1e6),
      exclude_seen: excludeSeen, max_users: checkInt(maxUsers, 'maxUsers', 0, 2 ** 31 - 1),
    };
    for (const [key, v] of [['validation_start', validationStart], ['test_start', testStart], ['test_end', testEnd]]) {
      if (v === undefined) continue;
      if (typeof v !== 'string' && typeof v !== 'number') throw new TypeError(`${key} must be a date string or seconds, got ${describe(v)}`);
      req[key] = v;
    }
    return JSON.parse(this.#m.evaluate(dataset._h, JSON.stringify(req), model instanceof Model ? model._h : null));
  }

  /**
   * The request path over a model and a dataset (catalog + logs).
   * @param {{model: Model, dataset: Dataset, index?: 'exact'|'int8'|'ivf'|object, strategy?: object,
   *   cacheCapacity?: number, useRanker?: boolean}} options
   */
  createRecommender({ model, dataset, index = 'exact', strategy = {}, cacheCapacity = 256, useRanker = true } = {}) {
    if (!(model instanceof Model)) throw new TypeError(`model must be a Model, got ${describe(model)}`);
    if (!(dataset instanceof Dataset)) throw new TypeError(`dataset must be a Dataset, got ${describe(dataset)}`);
    const indexOptions = typeof index === 'string' ? { kind: index } : index;
    if (indexOptions === null || typeof indexOptions !== 'object') throw new TypeError(`index must be a kind or an object, got ${describe(index)}`);
    if (!['exact', 'int8', 'ivf'].includes(indexOptions.kind ?? 'exact')) throw new RangeError(`index kind must be 'exact', 'int8' or 'ivf', got ${describe(indexOptions.kind)}`);
    if (strategy === null || typeof strategy !== 'object' || Array.isArray(strategy)) throw new TypeError(`strategy must be an object, got ${describe(strategy)}`);
    if (typeof useRanker !== 'boolean') throw new TypeError(`useRanker must be a boolean, got ${describe(useRanker)}`);
    const options = { index: indexOptions, strategy, cacheCapacity: checkInt(cacheCapacity, 'cacheCapacity', 0, 1e6), useRanker };
    return new Recommender(this.#m.createRecommender(model._h, dataset._h, JSON.stringify(options), model._ranker), this.#m);
  }

  /**
   * A vector index (build it with .build(vectors, n, d)).
   * @param {{kind?: 'exact'|'int8'|'ivf', rerank?: number, nlist?: number, nprobe?: number, seed?: number}} [options]
   */
  createIndex(options = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`options must be an object, got ${describe(options)}`);
    return new VectorIndex(this.#m.createIndex(JSON.stringify(options)), this.#m);
  }

  /** Loads the raw UCI Online Retail CSV. */
  loadOnlineRetailCsv(text, { source = 'online_retail.csv' } = {}) {
    requireFull(this.#m, 'loadOnlineRetailCsv()');
    return new Dataset(this.#m.loadOnlineRetailCsv(checkString(text, 'text'), checkString(source, 'source')), this.#m);
  }
}

let shared = null;
/** The engine that Model.load uses when it is given none (created on first use). */
function sharedRecsys() {
  shared ??= createRecsys().catch((e) => { shared = null; throw e; });
  return shared;
}

const ENGINES = {
  full: { wasm: 'recsys.wasm', glue: () => import('./recsys.mjs') },
  serve: { wasm: 'recsys-serve.wasm', glue: () => import('./recsys-serve.mjs') },
};

/**
 * Loads the WebAssembly module: the full engine, or with engine: 'serve' the serving engine (about
 * 60 % of the download: load data and models, recommend, sessions, indexes). In Node the .wasm next
 * to this file is read from disk.
 * @param {{engine?: 'full'|'serve', wasmBinary?: ArrayBuffer|Uint8Array, wasmUrl?: string|URL}} [options]
 */
export async function createRecsys(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
  const { engine = 'full' } = options;
  if (!Object.hasOwn(ENGINES, engine)) throw new RangeError(`engine must be 'full' or 'serve', got ${describe(engine)}`);
  const args = {};
  if (options.wasmBinary) {
    args.wasmBinary = options.wasmBinary;
  } else if (isNode && !options.wasmUrl) {
    const { readFile } = await import('node:fs/promises');
    args.wasmBinary = await readFile(new URL(`./${ENGINES[engine].wasm}`, import.meta.url));
  }
  if (options.wasmUrl) {
    const url = String(options.wasmUrl);
    args.locateFile = (path, prefix) => (path.endsWith('.wasm') ? url : prefix + path);
  }
  const { default: factory } = await ENGINES[engine].glue();
  const module = await factory(args);
  return new Recsys(module);
}

export default createRecsys;
