// recsys-wasm: the JavaScript API over the WebAssembly core, shared by the package's entry points
// (index.mjs and serve.mjs for pages, Workers and bundlers; index.node.mjs and serve.node.mjs for
// Node, chosen by package.json "exports" conditions). This file imports nothing: each entry says
// which engines it can load and, in Node, how to read files, so a bundle holds only what it uses.
// Long-lived objects own a C++ object: call dispose() when done; a FinalizationRegistry frees
// the ones that are garbage-collected without it. Results are plain JS values, never views
// into wasm memory.
import { compileRelaxedI8 } from './relaxed-i8.mjs';

// Set by the entry point when it is imported (the last one imported wins): how to read a local
// file (Node), and the createRecsys that Model.load uses when it is given no engine.
const platform = { readFile: null, createRecsys: null };

const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((handle) => { try { handle.delete(); } catch { /* already freed */ } })
  : null;

// Errors: the C++ core validates every argument and throws a classified error, which the bindings
// turn into TypeError (kind 'type'), RangeError ('range') or Error ('not_found', 'state',
// 'format', 'internal'), with error.kind set. The wrapper checks only what C++ cannot see: the JS
// type of a value before Embind converts it, and handles used after dispose().
function fail(Cls, kind, message) {
  const e = new Cls(message);
  e.kind = kind;
  return e;
}
const typeError = (message) => fail(TypeError, 'type', message);
const rangeError = (message) => fail(RangeError, 'range', message);
const stateError = (message) => fail(Error, 'state', message);

// The serving engine (createRecsys({ engine: 'serve' })) leaves out training, evaluation, shop
// generation and model saving; calling one of those on it is a clear error.
function requireFull(module, what) {
  if (module.engine() !== 'full') {
    throw stateError(`${what} is not in the serving engine; create the full one with createRecsys() (engine: 'full')`);
  }
}

/**
 * Owns one C++ object of one engine; subclasses expose its methods. Each createRecsys() — and so
 * each Worker — has its own wasm memory: a handle passed to another engine is refused (a pointer
 * into one memory means nothing in another), and one posted to a Worker arrives as a plain
 * object, which no method accepts.
 */
class Handle {
  #handle;
  #kind;
  #engine;
  constructor(handle, kind, engine) {
    this.#handle = handle;
    this.#kind = kind;
    this.#engine = engine;
    registry?.register(this, handle, this);
  }
  /** The live C++ object; throws when disposed. @protected */
  get _h() {
    if (!this.#handle) throw stateError(`${this.#kind} has been disposed`);
    return this.#handle;
  }
  /** The live C++ object as an argument of a call on engine: named in the errors. @internal */
  _in(engine, name) {
    if (!this.#handle) throw stateError(`${name}: the ${this.#kind} has been disposed`);
    if (this.#engine !== engine) {
      throw stateError(`${name}: the ${this.#kind} belongs to another engine (each createRecsys(), and each Worker, has its own memory); create or load it on this one`);
    }
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
  if (typeof value !== 'string') throw typeError(`${name} must be a string, got ${describe(value)}`);
  return value;
}

// For settings the wrapper itself uses (C++ never sees them), with their range.
function checkInt(value, name, min, max = Number.MAX_SAFE_INTEGER) {
  checkNumber(value, name);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw rangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

// A JS number (not NaN): what a C++ double can receive. The core checks its range.
function checkNumber(value, name) {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw typeError(`${name} must be a number, got ${describe(value)}`);
  }
  return value;
}

// A JS number that a C++ int receives without loss (Embind would truncate 1.5 or wrap 2^32);
// the core checks its range.
function checkInt32(value, name) {
  checkNumber(value, name);
  if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
    throw rangeError(Number.isInteger(value) ? `${name} must be a 32-bit integer, got ${value}` : `${name} must be an integer, got ${value}`);
  }
  return value;
}

function checkStrings(value, name) {
  if (!Array.isArray(value)) throw typeError(`${name} must be an array of strings, got ${describe(value)}`);
  value.forEach((v, i) => checkString(v, `${name}[${i}]`));
  return value;
}

function checkObject(value, name) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw typeError(`${name} must be an object, got ${describe(value)}`);
  }
  return value;
}

function describe(v) {
  if (v === undefined) return 'undefined';
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

/** A catalog of items. */
export class Catalog extends Handle {
  constructor(handle, module) { super(handle, 'Catalog', module); }
  /** Number of items. */
  get size() { return this._h.size(); }
  /** Row index of an item id, or -1. */
  indexOf(id) { return this._h.find(checkString(id, 'id')); }
  /** Items [offset, offset + limit) as plain objects. */
  items({ offset = 0, limit = 20 } = {}) {
    return JSON.parse(this._h.itemsJson(checkInt32(offset, 'offset'), checkInt32(limit, 'limit'))).items;
  }
  /** The catalog as CSV text. */
  toCsv() { return this._h.toCsv(); }
}

/** A catalog plus interactions on it. */
export class Dataset extends Handle {
  constructor(handle, module) { super(handle, 'Dataset', module); this._m = module; }
  get numUsers() { return this._h.numUsers(); }
  get numItems() { return this._h.numItems(); }
  get numInteractions() { return this._h.numInteractions(); }
  /** Counts, event mix, prices, time range, density and the content checksum. */
  stats() { return JSON.parse(this._h.statsJson()); }
  /** Catalog items [offset, offset + limit) as plain objects. */
  items({ offset = 0, limit = 20 } = {}) {
    return JSON.parse(this._h.itemsJson(checkInt32(offset, 'offset'), checkInt32(limit, 'limit'))).items;
  }
  catalogCsv() { return this._h.catalogCsv(); }
  interactionsCsv() { return this._h.interactionsCsv(); }
  /** User ids [offset, offset + limit). */
  userIds({ offset = 0, limit = 100 } = {}) {
    return JSON.parse(this._h.userIdsJson(checkInt32(offset, 'offset'), checkInt32(limit, 'limit')));
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
  #candidate;
  #ids = [];  // item index -> id, filled as recommend() meets them
  #personaliser = null;  // personalise()'s C++ state, made on first use
  constructor(handle, module, ranker = null, candidate = null) {
    super(handle, 'Model', module);
    this.#m = module;
    this.#ranker = ranker;
    this.#candidate = candidate;
    if (ranker) registry?.register(this, ranker, ranker);
    if (candidate) registry?.register(this, candidate, candidate);
  }
  /**
   * Loads model files (URLs, paths in Node, or bytes) — the same as recsys.loadModel(files) on the
   * given engine, or on a shared one that the first call creates.
   * @param {{weights: Uint8Array|ArrayBuffer|string|URL, manifest: string|URL}} files
   * @param {{recsys?: Recsys}} [options]
   */
  static async load(files, { recsys } = {}) {
    if (recsys !== undefined && !(recsys instanceof Recsys)) {
      throw typeError(`options.recsys must be a Recsys from createRecsys(), got ${describe(recsys)}`);
    }
    return (recsys ?? await sharedRecsys()).loadModel(files);
  }
  /** Whether a ranking model comes with this model (re-ranks in a Recommender). */
  get hasRanker() { return this._h && this.#ranker !== null; }
  /** @internal */
  get _ranker() { return this.#ranker; }
  /** Whether a candidate ranker comes with this model (scores a Recommender's candidates). */
  get hasCandidateRanker() { return this._h && this.#candidate !== null; }
  /**
   * The candidate ranker's description, or null: {scene, strategy, config, features, fit} — the
   * scene and strategy it was fitted for (a Recommender over this model uses them by default).
   */
  get candidateRanker() { return this._h && this._candidateInfo(this.#candidate); }
  /** @internal */
  get _candidate() { return this.#candidate; }
  /** @internal The description of a candidate-ranker handle (this model's, or null: null). */
  _candidateInfo(handle) { return handle ? JSON.parse(handle.infoJson()) : null; }
  /**
   * Fits a candidate ranker for a scene on a dataset's logs (a cut config.windowDays before their
   * end; candidates of the scene from the logs before it, labelled by what came after) and
   * attaches it; a failure leaves the model as it was.
   * @param {Dataset} dataset
   * @param {{scene?: string, strategy?: object, config?: object, featuresModel?: Model}} [options]
   *   featuresModel: a two-tower trained on the logs before the cut only (recommended).
   * @returns {{examples: number, positives: number, users: number, cut: number, epochLosses: number[]}}
   */
  fitCandidateRanker(dataset, options = {}) {
    requireFull(this.#m, 'Model.fitCandidateRanker()');
    if (!(dataset instanceof Dataset)) throw typeError(`dataset must be a Dataset, got ${describe(dataset)}`);
    const { scene = 'default', strategy = {}, config = {}, featuresModel } = checkObject(options, 'options');
    checkString(scene, 'scene');
    if (featuresModel !== undefined && !(featuresModel instanceof Model)) {
      throw typeError(`featuresModel must be a Model, got ${describe(featuresModel)}`);
    }
    const recommender = { strategy: checkObject(strategy, 'strategy'), useRanker: false };
    const fit = this.#m.fitCandidateRanker(this._h, dataset._in(this.#m, 'dataset'), JSON.stringify(recommender), scene,
      JSON.stringify(checkObject(config, 'config')), featuresModel ? featuresModel._in(this.#m, 'featuresModel') : null);
    if (this.#candidate) {
      registry?.unregister(this.#candidate);
      this.#candidate.delete();
    }
    this.#candidate = fit.ranker;
    registry?.register(this, fit.ranker, fit.ranker);
    const { ranker, ...summary } = fit;
    return summary;
  }
  /** Trains a ranking model for this model on a dataset (simulated impressions on the synthetic
   *  shop, logged events against random items otherwise) and attaches it. */
  fitRanker(dataset) {
    requireFull(this.#m, 'Model.fitRanker()');
    if (!(dataset instanceof Dataset)) throw typeError(`dataset must be a Dataset, got ${describe(dataset)}`);
    const r = this.#m.fitRanker(this._h, dataset._in(this.#m, 'dataset'));
    this.#ranker?.delete();
    this.#ranker = r;
  }
  dispose() {
    if (this.#personaliser) {
      registry?.unregister(this.#personaliser);
      this.#personaliser.delete();
      this.#personaliser = null;
    }
    if (this.#ranker) {
      registry?.unregister(this.#ranker);
      this.#ranker.delete();
      this.#ranker = null;
    }
    if (this.#candidate) {
      registry?.unregister(this.#candidate);
      this.#candidate.delete();
      this.#candidate = null;
    }
    super.dispose();
  }
  get numItems() { return this._h.numItems(); }
  get numUsers() { return this._h.numUsers(); }
  /** Embedding size. */
  get dim() { return this._h.dim(); }
  /** FNV-1a 64 (hex) of the configuration, vocabularies and every weight: equal means the same model. */
  get checksum() { return this._h.checksum(); }
  /** The model's configuration (preset, sizes, loss settings). */
  get config() { return JSON.parse(this._h.configJson()); }
  /**
   * Top-k items for a known user and/or recent items (oldest first); without userId the user is
   * anonymous and served from history alone.
   * @returns {{id: string, score: number}[]}
   */
  /**
   * The on-device adapter that session.personalise() fits, for a user (or an anonymous visitor)
   * with these items (oldest first: their logged history, recommender.userHistory(), then the
   * session's events), computed from the model alone: what a Worker runs so that the page never
   * waits; hand the adapter to session.setAdapter().
   * @returns {{adapter: Float32Array, losses: number[]}}
   */
  personalise({ userId = undefined, history = [], steps = 3, learningRate = 0.005, l2 = 0 } = {}) {
    if (userId !== undefined) checkString(userId, 'userId');
    checkStrings(history, 'history');
    checkInt32(steps, 'steps');
    checkNumber(learningRate, 'learningRate');
    checkNumber(l2, 'l2');
    const h = this._h;
    if (!this.#personaliser) {  // keeps the item vectors between calls (recomputed after training)
      this.#personaliser = this.#m.createPersonaliser(h);
      registry?.register(this, this.#personaliser, this.#personaliser);
    }
    const r = this.#personaliser.fit(userId ?? '', history, steps, learningRate, l2);
    return { adapter: Float32Array.from(r.adapter), losses: r.losses };
  }
  recommend({ userId = undefined, history = [], k = 10 } = {}) {
    if (userId !== undefined) checkString(userId, 'userId');
    checkStrings(history, 'history');
    const p = this._h.recommendTop(userId ?? '', history, checkInt32(k, 'k')) >>> 2;
    // Copied out at once: itemId() below allocates, which may grow memory and detach views.
    const n = this.#m.HEAP32[p];
    const H = this.#m.HEAP32.slice(p, p + 1 + 2 * n);
    const F = new Float32Array(H.buffer);
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      const item = H[1 + 2 * i];
      out[i] = { id: (this.#ids[item] ??= this._h.itemId(item)), score: F[2 + 2 * i] };
    }
    return out;
  }
  /**
   * The model files: weights (safetensors) and manifest (JSON text).
   * @param {{precision?: 'f32'|'f16'|'int8', training?: object, pruneUserRows?: boolean}} [options]
   *   precision of the two-tower weights (f32: exact; f16 and int8: smaller files,
   *   docs/model-format.md), the training metadata stored in the manifest, and pruneUserRows: a
   *   file for serving whose hashed user table holds only the rows the model's users and the
   *   anonymous row reach (format version 3; the same vectors for every user)
   * @returns {{weights: Uint8Array, manifest: string}}
   */
  toFiles(options = {}) {
    requireFull(this.#m, 'Model.toFiles()');
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError(`Model.toFiles: options must be an object, got ${describe(options)}`);
    }
    for (const key of Object.keys(options)) {
      if (key !== 'precision' && key !== 'training' && key !== 'pruneUserRows') {
        throw new TypeError(`Model.toFiles: unknown option '${key}' (known: precision, training, pruneUserRows)`);
      }
    }
    const { precision = 'f32', training = {}, pruneUserRows = false } = options;
    if (!['f32', 'f16', 'int8'].includes(precision)) {
      throw new RangeError(`Model.toFiles: precision must be 'f32', 'f16' or 'int8', got ${describe(precision)}`);
    }
    if (typeof pruneUserRows !== 'boolean') {
      throw new TypeError(`Model.toFiles: pruneUserRows must be true or false, got ${describe(pruneUserRows)}`);
    }
    const manifest = this.#ranker || this.#candidate
      ? this.#m.saveWithRanker(this._h, this.#ranker, this.#candidate, JSON.stringify(training), precision, pruneUserRows)
      : this._h.save(JSON.stringify(training), precision, pruneUserRows);
    const weights = this.#m.savedWeightsView().slice();  // copy out of wasm memory at once
    this.#m.releaseSavedWeights();
    return { weights, manifest };
  }
}

/** Step-wise training of a two-tower model on a dataset. */
export class Trainer extends Handle {
  #m;
  #history = [];
  constructor(handle, module) { super(handle, 'Trainer', module); this.#m = module; }
  get done() { return this._h.done(); }
  get stepsPerEpoch() { return this._h.stepsPerEpoch(); }
  get examplesPerEpoch() { return this._h.examplesPerEpoch(); }
  /** Epoch reports so far: {epoch, meanLoss, seconds, examples, validationRecall?}. */
  get history() { return this._h && this.#history.slice(); }
  /** Validation recall@10 of the most popular items (null without validation data). */
  get popularityRecall() { const r = this._h.popularityRecall(); return r < 0 ? null : r; }
  /** Validation recall@10 of the model now (null without validation data). */
  validationRecall() { return this.popularityRecall === null ? null : this._h.validationRecall(); }
  /**
   * Runs up to n steps (fewer at the end) and reports them.
   * @returns {{steps, examples, meanLoss, examplesPerSecond, seconds, epoch, stepInEpoch, stepsPerEpoch, totalSteps, finishedEpochs, done, stoppedEarly}}
   */
  step(n = 1) {
    checkInt32(n, 'n');
    const report = JSON.parse(this._h.trainSteps(n));
    this.#history.push(...report.finishedEpochs);
    return report;
  }
  /**
   * Trains to the end in slices, yielding to the event loop between them.
   * @param {{onProgress?: (r: object) => void, signal?: AbortSignal, sliceSteps?: number}} [options]
   */
  async train({ onProgress = undefined, signal = undefined, sliceSteps = 20 } = {}) {
    if (onProgress !== undefined && typeof onProgress !== 'function') throw typeError('onProgress must be a function');
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
  if (platform.readFile) {
    let file = null;
    if (source instanceof URL && source.protocol === 'file:') file = source;
    else if (typeof source === 'string' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) file = source;
    else if (typeof source === 'string' && source.startsWith('file://')) file = new URL(source);
    if (file) {
      try {
        return await platform.readFile(file);
      } catch (e) {
        throw fail(Error, 'not_found', `${name}: cannot read ${source}: ${e.message}`);
      }
    }
  }
  const r = await fetch(source);
  if (!r.ok) throw fail(Error, 'not_found', `${name}: HTTP ${r.status} for ${source}`);
  return new Uint8Array(await r.arrayBuffer());
}

// Bytes copied into the engine's heap in one HEAPU8.set (embind's std::string conversion copies
// a Uint8Array byte by byte in JS: about 40 ms per MB, and leaks its copy when the call throws);
// returns [pointer, length] for a binding that takes the bytes over and frees them on every path
// (HeapBytes in bindings.cpp).
const utf8 = new TextEncoder();
function heapBytes(m, bytes) {
  const p = m._malloc(Math.max(1, bytes.length));
  if (!p) throw new RangeError(`out of memory: cannot place ${bytes.length} bytes in the engine's heap`);
  m.HEAPU8.set(bytes, p);
  return [p, bytes.length];
}
// Several arguments (bytes, or strings as UTF-8) placed the same way, as one flat list of
// pointer, length pairs; if one cannot be placed, those placed before it are freed.
function heapArgs(m, parts) {
  const out = [];
  try {
    for (const b of parts) out.push(...heapBytes(m, typeof b === 'string' ? utf8.encode(b) : b));
  } catch (e) {
    for (let i = 0; i < out.length; i += 2) m._free(out[i]);
    throw e;
  }
  return out;
}

async function bytesOf(source, name) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof source === 'string' || source instanceof URL) return readSource(source, name);
  throw typeError(`${name} must be a Uint8Array, an ArrayBuffer or a URL, got ${describe(source)}`);
}

async function textOf(source, name) {
  if (typeof source === 'string' && source.trimStart().startsWith('{')) return source;
  if (typeof source === 'string' || source instanceof URL) return new TextDecoder().decode(await readSource(source, name));
  throw typeError(`${name} must be JSON text or a URL, got ${describe(source)}`);
}

/** A visit: events that change the next recommendations at once. Create with recommender.createSession(). */
export class Session extends Handle {
  #rec;
  constructor(handle, recommender, module) { super(handle, 'Session', module); this.#rec = recommender; }
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
    checkString(event, 'event');
    let t = timestamp === undefined
      ? Math.max(Math.floor(Date.now() / 1000), this._h.lastTimestamp())
      : checkNumber(timestamp, 'timestamp');
    // The core keeps whole seconds (int64): a fraction is floored here, and only what converts
    // exactly gets through (Infinity or 1e20 would not).
    if (!(Math.abs(t) <= Number.MAX_SAFE_INTEGER)) throw rangeError(`timestamp must be seconds within ±2^53, got ${t}`);
    t = Math.floor(t);
    this.#rec._track(this._h, itemId, event, t);
    return this;
  }
  /**
   * Fine-tunes this visitor's adapter on the user tower's output, on this device: a few Adam steps
   * on the user's logged history and this session's events, every weight of the model frozen (the
   * index is untouched). The next recommendations use it. Defaults: the setting chosen on
   * validation (README, "On-device personalisation"). Returns the loss before each step and after
   * the last. A failed call leaves the session as it was.
   * @param {{steps?: number, learningRate?: number, l2?: number}} [options]
   * @returns {{losses: number[]}}
   */
  personalise({ steps = 3, learningRate = 0.005, l2 = 0 } = {}) {
    const h = this._h;  // a disposed session says so first
    checkInt32(steps, 'steps');
    checkNumber(learningRate, 'learningRate');
    checkNumber(l2, 'l2');
    return { losses: this.#rec._personalise(h, steps, learningRate, l2) };
  }
  /** The adapter (Float32Array), or null when the session has none. */
  get adapter() {
    const a = this._h.adapter();
    return a.length ? Float32Array.from(a) : null;
  }
  /** Sets the adapter (an array of the model's dimension, e.g. from a Worker's fine-tuning or a
   *  saved state) or removes it (null). */
  setAdapter(values) {
    const h = this._h;  // a disposed session says so first
    if (values !== null && !Array.isArray(values) && !(values instanceof Float32Array)) {
      throw typeError(`adapter must be an array of numbers, a Float32Array or null, got ${describe(values)}`);
    }
    h.setAdapter(values);
    return this;
  }
  /** Forgets the events and the adapter. */
  clear() { this._h.clear(); return this; }
  /**
   * The visit as plain data, to keep across visits (the page stores it in IndexedDB) or to export:
   * {schema: 1, model, userId, events: [{itemId, event, timestamp}], adapter}. `model` is the
   * served model's checksum: recommender.restoreSession() refuses a state saved for another model.
   */
  toJSON() {
    const a = this.adapter;
    return { schema: SESSION_SCHEMA, model: this.#rec.modelChecksum, userId: this.userId, events: this.#rec._events(this._h), adapter: a ? Array.from(a) : null };
  }
}

const SESSION_SCHEMA = 1;

const FILTER_KEYS = ['categories', 'brands', 'exclude', 'priceMin', 'priceMax'];

/** The request path: retrieval index, ranker, strategy (scenes, diversity, rules), sessions, cache. */
export class Recommender extends Handle {
  #m;
  #items = [];           // catalog row -> {id, title, category, brand, price}, filled on first use
  #sources = new Map();  // sources code -> 'personal+trending'
  #sourceNames;
  #scene;
  #useCandidate;
  constructor(handle, module, scene = 'default', useCandidate = true) {
    super(handle, 'Recommender', module);
    this.#m = module;
    this.#sourceNames = module.enums().sources;
    this.#scene = scene;
    this.#useCandidate = useCandidate;
  }
  /** The scene of a request that names none: the candidate ranker's scene when one serves. */
  get defaultScene() { return this._h && this.#scene; }
  /**
   * @param {{userId?: string, session?: Session, scene?: 'home_page'|'cart_page'|'product_page'|'default'|string,
   *   k?: number, diversity?: number, itemId?: string,
   *   filters?: {categories?: string[], brands?: string[], exclude?: string[], priceMin?: number, priceMax?: number}}} [request]
   * @returns {{id, title, category, brand, price, rank, score, explanation: {source, retrievalScore, relevance, diversityAdjustment, finalScore, pClick?, pPurchase?}}[]}
   */
  recommend(request = {}) {
    const { userId = '', session, scene = this.#scene, k = 10, diversity, itemId = '', filters = {} } = checkObject(request, 'request');
    checkString(userId, 'userId');
    checkString(scene, 'scene');
    checkInt32(k, 'k');
    checkString(itemId, 'itemId');
    const lambda = diversity === undefined ? NaN : checkNumber(diversity, 'diversity');  // NaN: the scene's
    checkObject(filters, 'filters');
    for (const key of Object.keys(filters)) {
      if (!FILTER_KEYS.includes(key)) throw typeError(`filters.${key} is not a filter (expected ${FILTER_KEYS.join(', ')})`);
    }
    const { categories = null, brands = null, exclude = null, priceMin = 0, priceMax = Infinity } = filters;
    if (categories !== null) checkStrings(categories, 'filters.categories');
    if (brands !== null) checkStrings(brands, 'filters.brands');
    if (exclude !== null) checkStrings(exclude, 'filters.exclude');
    checkNumber(priceMin, 'filters.priceMin');
    checkNumber(priceMax, 'filters.priceMax');
    if (session !== undefined && !(session instanceof Session)) throw typeError(`session must be a Session, got ${describe(session)}`);
    const h = this._h;
    const p = (session === undefined
      ? h.recommend(userId, scene, k, lambda, itemId, categories, brands, exclude, priceMin, priceMax)
      : h.recommendSession(session._in(this.#m, 'session'), userId, scene, k, lambda, itemId, categories, brands, exclude, priceMin, priceMax)) >>> 2;
    return this.#read(p);
  }
  // The list in wasm memory at word p (bindings.cpp, write_list): n, then 9 words per item.
  #read(p) {
    // Copied out at once: itemRecord() below allocates, which may grow memory and detach views.
    const n = this.#m.HEAP32[p];
    const H = this.#m.HEAP32.slice(p, p + 1 + 9 * n);
    const F = new Float32Array(H.buffer);  // the same words, as floats
    const out = new Array(n);
    for (let i = 0, w = 1; i < n; i++, w += 9) {
      const row = H[w];
      const item = this.#items[row] ??= this._h.itemRecord(row);
      const explanation = {
        source: this.#label(H[w + 2]), retrievalScore: F[w + 3], relevance: F[w + 4],
        diversityAdjustment: F[w + 5], finalScore: F[w + 6],
      };
      if (F[w + 7] >= 0) {
        explanation.pClick = F[w + 7];
        explanation.pPurchase = F[w + 8];
      }
      out[i] = {
        id: item.id, title: item.title, category: item.category, brand: item.brand, price: item.price,
        rank: H[w + 1], score: F[w + 6], explanation,
      };
    }
    return out;
  }
  // Sources code: the count in bits 0-3, then 3 bits per source (SourceList::code).
  #label(code) {
    let label = this.#sources.get(code);
    if (label === undefined) {
      const names = [];
      for (let i = 0; i < (code & 15); i++) names.push(this.#sourceNames[(code >>> (4 + 3 * i)) & 7]);
      label = names.join('+');
      this.#sources.set(code, label);
    }
    return label;
  }
  /** A session for a known user, or an anonymous one. */
  createSession({ userId = '' } = {}) {
    return new Session(this._h.createSession(checkString(userId, 'userId')), this, this.#m);
  }
  /**
   * A session from session.toJSON(): its user, its events in order and its adapter. Refused, naming
   * the problem, when the state is of another schema or was saved for another model (a different
   * checksum: other items or other weights would serve wrong items); nothing is created then.
   */
  restoreSession(state) {
    const served = this.modelChecksum;  // a disposed recommender says so first
    if (state === null || typeof state !== 'object' || Array.isArray(state)) throw typeError(`state must be an object from session.toJSON(), got ${describe(state)}`);
    if (state.schema !== SESSION_SCHEMA) throw rangeError(`state.schema must be ${SESSION_SCHEMA}, got ${describe(state.schema)}`);
    if (state.model !== served) {
      throw new Error(`stale state: it was saved for model ${state.model}, this recommender serves model ${served}`);
    }
    if (!Array.isArray(state.events)) throw typeError(`state.events must be an array, got ${describe(state.events)}`);
    const session = this.createSession({ userId: state.userId ?? '' });
    try {
      state.events.forEach((e, i) => {
        if (e === null || typeof e !== 'object') throw typeError(`state.events[${i}] must be an object, got ${describe(e)}`);
        session.track(e);
      });
      if (state.adapter !== null && state.adapter !== undefined) session.setAdapter(state.adapter);
      // Served once: an adapter of another size is refused here, not at the next click.
      if (state.adapter) this.recommend({ k: 1, session });
    } catch (err) {
      session.dispose();
      throw err;
    }
    return session;
  }
  /** A logged user's items (ids, oldest first), as the user tower reads them; [] when unknown. */
  userHistory(userId) { return this._h.userHistory(checkString(userId, 'userId')); }
  /** The served model's checksum (what session.toJSON() records). */
  get modelChecksum() { const h = this._h; return (this.#checksum ??= h.modelChecksum()); }
  #checksum;
  /** @internal */
  _track(sessionHandle, itemId, event, timestamp) { this._h.track(sessionHandle, itemId, event, timestamp); }
  /** @internal */
  _personalise(sessionHandle, steps, learningRate, l2) { return this._h.personalise(sessionHandle, steps, learningRate, l2); }
  /** @internal */
  _events(sessionHandle) { return this._h.sessionEvents(sessionHandle); }
  /**
   * Computes now what the recommender otherwise computes on first use (the logs' co-occurrence,
   * which the cart page's complementary source reads; about 60 ms on a cold page for the demo
   * shop). Results are the same either way: call it when idle, after the first list is shown.
   */
  prepare() { this._h.prepare(); }
  /** Requests served, cache hits and hit ratio, the index in use. */
  stats() { return this._h.stats(); }
  /** Serves another model (same items) with its rankers (the strategy and default scene stay):
   *  rebuilds the index, clears the cache. */
  reload(model) {
    if (!(model instanceof Model)) throw typeError(`model must be a Model, got ${describe(model)}`);
    this._h.reload(model._in(this.#m, 'model'), model._ranker, this.#useCandidate ? model._candidate : null);
    this.#checksum = undefined;
  }
}

/** Top-K inner-product search over your own vectors (exact, int8 or IVF). */
export class VectorIndex extends Handle {
  #m;
  constructor(handle, module) { super(handle, 'VectorIndex', module); this.#m = module; }
  get kind() { return this._h.name(); }
  get size() { return this._h.size(); }
  get dim() { return this._h.dim(); }
  get memoryBytes() { return this._h.memoryBytes(); }
  /** Indexes n vectors of d floats (row-major). */
  build(vectors, n, d) {
    if (!(vectors instanceof Float32Array)) throw typeError(`vectors must be a Float32Array, got ${describe(vectors)}`);
    checkInt32(n, 'n');
    checkInt32(d, 'd');
    // The one check C++ cannot make: it sees the n × d floats copied in, not the array's length.
    if (vectors.length !== n * d) throw rangeError(`vectors has ${vectors.length} floats, n * d = ${n * d}`);
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
    if (!(queries instanceof Float32Array)) throw typeError(`queries must be a Float32Array, got ${describe(queries)}`);
    checkInt32(m, 'm');
    checkInt32(k, 'k');
    const d = this.dim;  // 0 before build(): the core reports that
    if (d > 0 && queries.length !== m * d) throw rangeError(`queries has ${queries.length} floats, m * d = ${m * d}`);
    if (exclude !== undefined && !(exclude instanceof Int32Array) && !Array.isArray(exclude)) {
      throw typeError(`exclude must be an array of item indices, got ${describe(exclude)}`);
    }
    if (exclude !== undefined) exclude.forEach((v, i) => checkInt32(v, `exclude[${i}]`));
    const ptr = this.#m.queryBuffer(d > 0 ? m * d : 0);
    if (d > 0) this.#m.HEAPF32.set(queries, ptr / 4);
    this._h.search(m, k, exclude === undefined ? null : exclude);
    return { ids: this.#m.resultIdsView().slice(), scores: this.#m.resultScoresView().slice() };
  }
}

/**
 * An experiment over recommendation strategies on the synthetic shop: an A/B test, a bandit and
 * off-policy estimates, run step by step. Create it with recsys.createExperiment().
 */
export class Experiment extends Handle {
  constructor(handle, module) { super(handle, 'Experiment', module); }
  /** Whether every part has run its planned sessions. */
  get done() { return this._h.done(); }
  /** A/B sessions run so far. */
  get sessions() { return this._h.abSessions(); }
  /**
   * Runs up to n more sessions of each part (A/B, bandit, off-policy) and returns the report.
   * In a page, call it from a Worker with an n that fits a frame (a few hundred sessions).
   */
  step(n = 200) {
    this._h.step(checkInt32(n, 'n'));
    return this.report();
  }
  /** The state: per-arm metrics with intervals, comparisons, SRM, warnings, history, bandit, OPE. */
  report() { return JSON.parse(this._h.reportJson()); }
  /**
   * Runs to the end in steps, yielding to the event loop between them.
   * @param {{stepSessions?: number, onProgress?: (report: object) => void, signal?: AbortSignal}} [options]
   */
  async run({ stepSessions = 500, onProgress = undefined, signal = undefined } = {}) {
    if (onProgress !== undefined && typeof onProgress !== 'function') throw typeError('onProgress must be a function');
    checkInt(stepSessions, 'stepSessions', 1, 1e7);
    let report = this.report();
    while (!this.done) {
      if (signal?.aborted) throw signal.reason ?? stateError('experiment aborted');
      report = this.step(stepSessions);
      onProgress?.(report);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return report;
  }
}

/** The loaded engine. Create it with createRecsys(). */
export class Recsys {
  #m;
  #enums = null;
  #poolThreads;
  constructor(module, poolThreads = 1) {
    this.#m = module;
    this.#poolThreads = poolThreads;
  }

  /** Version of the C++ core. */
  get version() { return this.#m.version(); }

  /**
   * The names the API accepts, from the C++ core: scenes (built-in), events, indexKinds, sources
   * and errorKinds (the values of error.kind).
   */
  get enums() {
    if (!this.#enums) {
      const e = this.#m.enums();
      for (const list of Object.values(e)) Object.freeze(list);
      this.#enums = Object.freeze(e);
    }
    return this.#enums;
  }

  /** 'full', or 'serve' for the smaller serving engine (no training, evaluation, generation, saving, or 'ease' source, which is fitted). */
  get engine() { return this.#m.engine(); }

  /** Threads of the numeric kernels: 1 in the single-thread build, more in the pthread build. */
  get threads() { return this.#m.threads(); }

  /**
   * The kernels in use where there is a choice: int8 is 'relaxed-simd' (wasm's relaxed integer dot
   * product, where the runtime has it and passed the start-up check) or 'simd128'; the results
   * are the same bits either way.
   */
  get kernels() { return { int8: this.#m.recsysRelaxedI8 ? 'relaxed-simd' : 'simd128' }; }

  /**
   * Changes the thread count of the pthread build (1 .. the count it was created with: its pool
   * holds that many Workers); results do not depend on it. The single-thread build accepts 1.
   */
  setThreads(n) {
    const most = Math.max(1, this.#poolThreads ?? 1);
    if (!Number.isInteger(n) || n < 1 || n > most) throw rangeError(`threads must be an integer in [1, ${most}], got ${describe(n)}`);
    this.#m.setThreads(n);
  }

  /**
   * Memory in bytes: the wasm heap's size, what malloc has handed out of it now, and the most
   * that malloc's part of the heap has ever spanned (its high-water mark).
   */
  memoryUsage() {
    return { heapBytes: this.#m.HEAPU8.buffer.byteLength, allocatedBytes: this.#m.allocatedBytes(), peakBytes: this.#m.peakHeapBytes() };
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
    checkObject(config, 'config');
    return new Dataset(this.#m.generateShop(JSON.stringify(config)), this.#m);
  }

  /** Parses a catalog from CSV or JSON text. */
  loadCatalog(text, { format = undefined, source = undefined } = {}) {
    checkString(text, 'text');
    const fmt = checkString(format ?? guessFormat(text), 'format');
    return new Catalog(this.#m.loadCatalog(...heapArgs(this.#m, [text, fmt, checkString(source ?? `catalog.${fmt}`, 'source')])), this.#m);
  }

  /**
   * Parses a catalog and its interactions (CSV or JSON text each), or loads the binary form of both
   * (`shop`: the bytes of a shop.bin, docs/shop-format.md; no text to parse).
   */
  loadDataset({ catalog, interactions, catalogFormat = undefined, interactionsFormat = undefined, shop = undefined } = {}) {
    if (shop !== undefined) {
      if (catalog !== undefined || interactions !== undefined) throw typeError('loadDataset: give shop, or catalog and interactions, not both');
      if (!(shop instanceof Uint8Array) && !(shop instanceof ArrayBuffer)) throw typeError(`shop must be a Uint8Array or an ArrayBuffer, got ${describe(shop)}`);
      return new Dataset(this.#m.loadShop(...heapBytes(this.#m, shop instanceof Uint8Array ? shop : new Uint8Array(shop))), this.#m);
    }
    checkString(catalog, 'catalog');
    checkString(interactions, 'interactions');
    const cf = checkString(catalogFormat ?? guessFormat(catalog), 'catalogFormat');
    const xf = checkString(interactionsFormat ?? guessFormat(interactions), 'interactionsFormat');
    return new Dataset(this.#m.loadDataset(...heapArgs(this.#m, [catalog, cf, `catalog.${cf}`, interactions, xf, `interactions.${xf}`])), this.#m);
  }

  /** Loads the committed UCI Online Retail extract (data/online_retail/items.csv + baskets.csv). */
  loadOnlineRetail({ items, baskets } = {}) {
    checkString(items, 'items');
    checkString(baskets, 'baskets');
    return new Dataset(this.#m.loadOnlineRetailExtract(...heapArgs(this.#m, [items, baskets])), this.#m);
  }

  /**
   * A trainer for a two-tower model on a dataset.
   * @param {Dataset} dataset
   * @param {{preset?: 'seed'|'default', config?: object, split?: 'leave-last-out'|'none', epochs?: number,
   *   batchSize?: number, learningRate?: number, seed?: number, validationUsers?: number, patience?: number}} [options]
   */
  createTrainer(dataset, options = {}) {
    requireFull(this.#m, 'createTrainer()');
    if (!(dataset instanceof Dataset)) throw typeError(`dataset must be a Dataset, got ${describe(dataset)}`);
    const { preset = 'default', config = {}, split = 'leave-last-out', epochs, batchSize, learningRate, seed,
      validationUsers, patience, validationStart, testStart } = checkObject(options, 'options');
    // The options become the core's config and job settings (JSON), which the core validates.
    const cfg = { ...checkObject(config, 'config'), preset: checkString(preset, 'preset') };
    for (const [key, v] of [['epochs', epochs], ['batch_size', batchSize], ['seed', seed], ['learning_rate', learningRate]]) {
      if (v === undefined) continue;
      const name = key === 'batch_size' ? 'batchSize' : key === 'learning_rate' ? 'learningRate' : key;
      // JSON has no Infinity (it would reach the core as null): refused here, by name.
      if (!Number.isFinite(checkNumber(v, name))) throw rangeError(`${name} must be finite, got ${v}`);
      cfg[key] = v;
    }
    const opts = { split: checkString(split, 'split') };
    for (const [key, v] of [['validation_start', validationStart], ['test_start', testStart]]) {
      if (v === undefined) continue;
      if (typeof v !== 'string' && typeof v !== 'number') throw typeError(`${key} must be a date string or seconds, got ${describe(v)}`);
      opts[key] = v;
    }
    if (validationUsers !== undefined) opts.validation_users = checkNumber(validationUsers, 'validationUsers');
    if (patience !== undefined) opts.early_stopping_patience = checkNumber(patience, 'patience');
    return new Trainer(this.#m.createTrainingJob(dataset._in(this.#m, 'dataset'), JSON.stringify(cfg), JSON.stringify(opts)), this.#m);
  }

  /**
   * Loads a model from its files (bytes or URLs). A bad file throws and changes nothing.
   * @param {{weights: Uint8Array|ArrayBuffer|string|URL, manifest: string|URL}} files
   */
  async loadModel({ weights, manifest } = {}) {
    const [w, m] = await Promise.all([bytesOf(weights, 'weights'), textOf(manifest, 'manifest')]);
    // One parse of both files for the model, its ranker and its candidate ranker; a bad file
    // throws before any handle exists.
    const { model, ranker, candidate } = this.#m.loadModelAll(...heapArgs(this.#m, [w, m]));
    return new Model(model, this.#m, ranker, candidate);
  }

  /**
   * Offline evaluation (full ranking by default) of a baseline or a model on a dataset's split.
   * @param {Dataset} dataset
   * @param {{model?: Model|'random'|'popularity'|'personal-frequency'|'itemknn'|'ease'|'mf'|'pipeline', params?: object,
   *   pipeline?: {model: Model, scene?: string, strategy?: object, useRanker?: boolean, candidateRanker?: object,
   *     featuresModel?: Model, useCandidateRanker?: boolean}, sourceRecall?: number,
   *   lists?: boolean,
   *   split?: 'leave-last-out'|'temporal', validationStart?: string|number, testStart?: string|number,
   *   testEnd?: string|number, on?: 'test'|'validation', k?: number, protocol?: 'full'|'sampled',
   *   negatives?: number, excludeSeen?: boolean, maxUsers?: number}} [options]
   * @returns {{model, protocol, k, users, hit_rate, ndcg, recall, precision, mrr, map, coverage?, novelty?, ild_category?, ild_embedding?, gini?, seconds}}
   */
  evaluate(dataset, options = {}) {
    requireFull(this.#m, 'evaluate()');
    if (!(dataset instanceof Dataset)) throw typeError(`dataset must be a Dataset, got ${describe(dataset)}`);
    const { model = 'popularity', params = {}, split = 'leave-last-out', validationStart, testStart, testEnd,
      on = 'test', k = 10, protocol = 'full', negatives = 100, excludeSeen = true, maxUsers = 0,
      pipeline, sourceRecall, lists } = checkObject(options, 'options');
    if (!(model instanceof Model) && typeof model !== 'string') {
      throw typeError(`model must be a Model, a baseline name or 'pipeline', got ${describe(model)}`);
    }
    if ((model === 'pipeline') !== (pipeline !== undefined)) {
      throw typeError(model === 'pipeline' ? "model 'pipeline' needs options.pipeline: { model: Model, scene?, strategy?, useRanker? }"
        : `options.pipeline needs model 'pipeline', got model ${describe(model)}`);
    }
    let evaluated = model instanceof Model ? model : null;
    let features = null;
    let stored = null;
    let fitted = null;
    const extra = {};
    if (pipeline !== undefined) {
      const { model: pm, scene, strategy, useRanker = true, candidateRanker, featuresModel, useCandidateRanker = true } = checkObject(pipeline, 'pipeline');
      if (!(pm instanceof Model)) throw typeError(`pipeline.model must be a Model, got ${describe(pm)}`);
      if (typeof useCandidateRanker !== 'boolean') throw typeError(`pipeline.useCandidateRanker must be a boolean, got ${describe(useCandidateRanker)}`);
      // The model's own candidate ranker serves (with its scene and strategy as the defaults),
      // unless one is fitted here or it is turned off — as in createRecommender().
      stored = candidateRanker === undefined && useCandidateRanker ? pm._candidate : null;
      fitted = pm._candidateInfo(stored);
      if (featuresModel !== undefined && !(featuresModel instanceof Model)) {
        throw typeError(`pipeline.featuresModel must be a Model, got ${describe(featuresModel)}`);
      }
      if (featuresModel !== undefined && candidateRanker === undefined) {
        throw typeError('pipeline.featuresModel needs pipeline.candidateRanker');
      }
      if (candidateRanker !== undefined) extra.candidate_ranker = checkObject(candidateRanker, 'pipeline.candidateRanker');
      features = featuresModel ?? null;
      if (typeof useRanker !== 'boolean') throw typeError(`pipeline.useRanker must be a boolean, got ${describe(useRanker)}`);
      evaluated = pm;
      extra.scene = checkString(scene ?? fitted?.scene ?? 'default', 'pipeline.scene');
      extra.recommender = { useRanker };
      if (strategy !== undefined) extra.recommender.strategy = checkObject(strategy, 'pipeline.strategy');
      else if (fitted) extra.recommender.strategy = fitted.strategy;
    }
    if (sourceRecall !== undefined) extra.source_quota = checkNumber(sourceRecall, 'sourceRecall');
    if (lists !== undefined) {
      if (typeof lists !== 'boolean') throw typeError(`lists must be a boolean, got ${describe(lists)}`);
      extra.lists = lists;
    }
    if (typeof excludeSeen !== 'boolean') throw typeError(`excludeSeen must be a boolean, got ${describe(excludeSeen)}`);
    // The request becomes the core's evaluation request (JSON), which the core validates.
    const req = {
      model: model instanceof Model ? 'two-tower' : model, params: checkObject(params, 'params'),
      split: checkString(split, 'split'), on: checkString(on, 'on'), k: checkNumber(k, 'k'),
      protocol: checkString(protocol, 'protocol'), negatives: checkNumber(negatives, 'negatives'),
      exclude_seen: excludeSeen, max_users: checkNumber(maxUsers, 'maxUsers'), ...extra,
    };
    for (const [key, v] of [['validation_start', validationStart], ['test_start', testStart], ['test_end', testEnd]]) {
      if (v === undefined) continue;
      if (typeof v !== 'string' && typeof v !== 'number') throw typeError(`${key} must be a date string or seconds, got ${describe(v)}`);
      req[key] = v;
    }
    const ranker = evaluated && pipeline !== undefined && evaluated._ranker ? evaluated._ranker : null;
    return JSON.parse(this.#m.evaluate(dataset._in(this.#m, 'dataset'), JSON.stringify(req),
      evaluated ? evaluated._in(this.#m, pipeline ? 'pipeline.model' : 'model') : null, ranker,
      features ? features._in(this.#m, 'pipeline.featuresModel') : null, stored));
  }

  /**
   * The request path over a model and a dataset (catalog + logs). A model's candidate ranker
   * scores the candidates of every re-ranked scene unless useCandidateRanker is false; then its
   * strategy is the default strategy and its scene the default scene.
   * @param {{model: Model, dataset: Dataset, index?: 'exact'|'int8'|'ivf'|object, strategy?: object,
   *   cacheCapacity?: number, useRanker?: boolean, useCandidateRanker?: boolean}} options
   */
  createRecommender({ model, dataset, index = 'exact', strategy, cacheCapacity = 256, useRanker = true, useCandidateRanker = true } = {}) {
    if (!(model instanceof Model)) throw typeError(`model must be a Model, got ${describe(model)}`);
    if (!(dataset instanceof Dataset)) throw typeError(`dataset must be a Dataset, got ${describe(dataset)}`);
    if (typeof useCandidateRanker !== 'boolean') throw typeError(`useCandidateRanker must be a boolean, got ${describe(useCandidateRanker)}`);
    const indexOptions = typeof index === 'string' ? { kind: index } : checkObject(index, 'index');
    const candidate = useCandidateRanker ? model._candidate : null;
    const fitted = model._candidateInfo(candidate);
    // The options become the core's RecommenderOptions (JSON), which the core validates.
    const options = {
      index: indexOptions, strategy: strategy === undefined ? (fitted?.strategy ?? {}) : checkObject(strategy, 'strategy'),
      cacheCapacity, useRanker,
    };
    const h = this.#m.createRecommender(model._in(this.#m, 'model'), dataset._in(this.#m, 'dataset'), JSON.stringify(options), model._ranker, candidate);
    return new Recommender(h, this.#m, fitted?.scene ?? 'default', useCandidateRanker);
  }

  /**
   * A vector index (build it with .build(vectors, n, d)).
   * @param {{kind?: 'exact'|'int8'|'ivf', rerank?: number, nlist?: number, nprobe?: number, seed?: number}} [options]
   */
  createIndex(options = {}) {
    checkObject(options, 'options');
    return new VectorIndex(this.#m.createIndex(JSON.stringify(options)), this.#m);
  }

  /**
   * An experiment on the synthetic shop (a dataset from generateShop(), which carries the shop's
   * hidden truth) with a model (and its ranker): see ExperimentConfig in index.d.mts.
   * @param {{model: Model, dataset: Dataset, config?: object}} options
   */
  createExperiment({ model, dataset, config = {} } = {}) {
    requireFull(this.#m, 'createExperiment()');
    if (!(model instanceof Model)) throw typeError(`model must be a Model, got ${describe(model)}`);
    if (!(dataset instanceof Dataset)) throw typeError(`dataset must be a Dataset, got ${describe(dataset)}`);
    checkObject(config, 'config');
    return new Experiment(this.#m.createExperiment(model._in(this.#m, 'model'), model._ranker, dataset._in(this.#m, 'dataset'), JSON.stringify(config)), this.#m);
  }

  /**
   * Users (or units) per arm for a two-sided test to reach the power: for a mean, a standardised
   * effect (Cohen's d = difference / standard deviation); for a proportion, the control and
   * treatment rates. The same figures as statsmodels' TTestIndPower / NormalIndPower.
   * @param {{effectSize?: number, control?: number, treatment?: number, power?: number, alpha?: number}} options
   */
  sampleSize({ effectSize, control, treatment, power = 0.8, alpha = 0.05 } = {}) {
    requireFull(this.#m, 'sampleSize()');
    checkNumber(power, 'power');
    checkNumber(alpha, 'alpha');
    if (effectSize !== undefined) return this.#m.tTestSampleSize(checkNumber(effectSize, 'effectSize'), power, alpha);
    return this.#m.proportionSampleSize(checkNumber(control, 'control'), checkNumber(treatment, 'treatment'), power, alpha);
  }

  /**
   * The power of a two-sided test with n per arm (same options as sampleSize, n instead of power).
   * @param {{n: number, effectSize?: number, control?: number, treatment?: number, alpha?: number}} options
   */
  power({ n, effectSize, control, treatment, alpha = 0.05 } = {}) {
    requireFull(this.#m, 'power()');
    checkNumber(n, 'n');
    checkNumber(alpha, 'alpha');
    if (effectSize !== undefined) return this.#m.tTestPower(checkNumber(effectSize, 'effectSize'), n, alpha);
    return this.#m.proportionPower(checkNumber(control, 'control'), checkNumber(treatment, 'treatment'), n, alpha);
  }

  /** Loads the raw UCI Online Retail CSV. */
  loadOnlineRetailCsv(text, { source = 'online_retail.csv' } = {}) {
    requireFull(this.#m, 'loadOnlineRetailCsv()');
    return new Dataset(this.#m.loadOnlineRetailCsv(...heapArgs(this.#m, [checkString(text, 'text'), checkString(source, 'source')])), this.#m);
  }
}

let shared = null;
/** The engine that Model.load uses when it is given none (created on first use). */
function sharedRecsys() {
  if (!platform.createRecsys) throw stateError('no engine: import createRecsys from recsys-wasm first');
  shared ??= platform.createRecsys().catch((e) => { shared = null; throw e; });
  return shared;
}

// The relaxed-SIMD int8 kernel (relaxed-i8.mjs) for this engine, when the runtime compiles it and
// it gives the expected answers on a known case (an engine that takes the opcode with other
// semantics, as Node 20's experimental flag does, keeps the engine's own kernel). The engine asks
// for a kernel per dimension (Module.recsysRelaxedI8(d)) on its first scan of that dimension.
function useRelaxedI8(module, shared) {
  try {
    const kernel = compileRelaxedI8({ d: 32, shared });
    if (!kernel || !relaxedI8Works(kernel, shared)) return;
  } catch {
    return;
  }
  module.recsysRelaxedI8 = (d) => compileRelaxedI8({ d, shared });
  module.useRelaxedI8(true);
}

function relaxedI8Works(kernel, shared) {
  const memory = new WebAssembly.Memory(shared ? { initial: 1, maximum: 1, shared: true } : { initial: 1 });
  const { scan } = new WebAssembly.Instance(kernel, { env: { memory } }).exports;
  const n = 8, d = 32, items = 0, q = 256, scale = 512, out = 1024;
  const i8 = new Int8Array(memory.buffer), f32 = new Float32Array(memory.buffer);
  const code = (i) => ((i * 37 + 11) % 127) - 63;  // every value of [-63, 63] in turn
  for (let i = 0; i < n * d; i++) i8[items + i] = code(i);
  for (let j = 0; j < d; j++) i8[q + j] = code(j * 5 + 3) + 64;
  for (let r = 0; r < n; r++) f32[scale / 4 + r] = 1 + r / 8;
  if (scan(items, n, d, q, scale, out) !== n) return false;
  for (let r = 0; r < n; r++) {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += code(r * d + j) * code(j * 5 + 3);
    if (f32[out / 4 + r] !== Math.fround(dot * (1 + r / 8))) return false;
  }
  return true;
}

/**
 * The createRecsys of an entry point. engines: name -> () => import(glue) (the first is the
 * default); node: in Node, { wasmBinary(name) => bytes of that engine's .wasm, readFile(path | URL)
 * => bytes }. Internal: entry points call it.
 * @internal
 */
export function makeCreateRecsys(engines, node = null, threaded = null) {
  const names = Object.keys(engines);
  const list = names.map((n) => `'${n}'`).join(' or ');
  /**
   * Loads the WebAssembly module: the full engine, or with engine: 'serve' the serving engine
   * (about 60 % of the download: load data and models, recommend, sessions, indexes). In Node the
   * .wasm next to this file is read from disk. threads: 'auto' loads the full engine's pthread
   * build in a cross-origin-isolated page, with one thread per core up to 8, and the single-thread
   * build everywhere else; a number asks for that many; 1 (the default) is the single-thread build
   * (the pthread build's Workers do not survive bundlers yet).
   * Results are the same on any thread count.
   * wasmModule: that engine's .wasm already compiled (a WebAssembly.Module, or a promise of one),
   * e.g. by `WebAssembly.compileStreaming(fetch(url))` in the page's head, so that compiling
   * overlaps loading the page's scripts.
   * relaxedSimd: false keeps the engine's own int8 kernel where the runtime has relaxed SIMD
   * (default true: the relaxed-SIMD kernel, relaxed-i8.mjs; the same results either way).
   * @param {{engine?: 'full'|'serve', threads?: 'auto'|number, wasmBinary?: ArrayBuffer|Uint8Array, wasmUrl?: string|URL,
   *   wasmModule?: WebAssembly.Module|Promise<WebAssembly.Module>, relaxedSimd?: boolean}} [options]
   */
  async function createRecsys(options = {}) {
    checkObject(options, 'options');
    const { engine = names[0], threads = 1 } = options;
    if (!Object.hasOwn(engines, engine)) throw rangeError(`engine must be ${list}, got ${describe(engine)}`);
    if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1)) {
      throw rangeError(`threads must be 'auto' or an integer >= 1, got ${describe(threads)}`);
    }
    // The pthread build's pool holds one Worker per extra core, up to 7 (CMakeLists.txt).
    const cores = Number(globalThis.navigator?.hardwareConcurrency) || 2;
    const most = Math.min(7, Math.max(1, cores - 1)) + 1;
    const isolated = globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
    // wasmBinary / wasmUrl / wasmModule name one .wasm, the single-thread build's: it cannot start
    // the pthread one.
    const given = ['wasmBinary', 'wasmUrl', 'wasmModule'].filter((k) => options[k] !== undefined && options[k] !== null);
    if (given.length > 1) throw rangeError(`give one of wasmBinary, wasmUrl and wasmModule, got ${given.join(' and ')}`);
    const { wasmModule } = options;
    if (wasmModule != null && !(wasmModule instanceof WebAssembly.Module) && typeof wasmModule.then !== 'function') {
      throw typeError(`wasmModule must be a WebAssembly.Module or a promise of one, got ${describe(wasmModule)}`);
    }
    const ownWasm = given.length > 0;
    const canThread = Boolean(threaded) && engine === 'full' && isolated && !ownWasm;
    if (typeof threads === 'number' && threads > 1) {
      if (ownWasm) throw rangeError(`threads: ${threads} cannot be combined with ${given[0]} (it gives the single-thread build's .wasm); use threads: 1`);
      if (!threaded || engine !== 'full') {
        throw rangeError(`threads: ${threads} needs the full engine's pthread build, which ${engine !== 'full' ? "the serving engine doesn't have" : 'runs only in pages and Workers, not here'}; use threads: 'auto' or 1`);
      }
      if (!isolated) throw rangeError(`threads: ${threads} needs a cross-origin-isolated page (crossOriginIsolated is false: serve it with COOP: same-origin and COEP: require-corp); use threads: 'auto' or 1`);
      if (threads > most) throw rangeError(`threads must be in [1, ${most}] here (one per core, up to 8), got ${threads}`);
    }
    const count = threads === 'auto' ? (canThread && cores > 1 ? most : 1) : threads;
    const args = {};
    if (options.wasmBinary) {
      args.wasmBinary = options.wasmBinary;
    } else if (node && !options.wasmUrl && wasmModule == null) {
      args.wasmBinary = await node.wasmBinary(engine);
    }
    if (options.wasmUrl) {
      const url = String(options.wasmUrl);
      args.locateFile = (path, prefix) => (path.endsWith('.wasm') ? url : prefix + path);
    }
    const relaxed = options.relaxedSimd ?? true;
    if (typeof relaxed !== 'boolean') throw typeError(`relaxedSimd must be a boolean, got ${describe(relaxed)}`);
    if (count > 1) {
      const { default: factory } = await threaded();
      const module = await factory(args);
      module.setThreads(count);
      if (relaxed) useRelaxedI8(module, true);
      return new Recsys(module, count);
    }
    let failed = null;
    if (wasmModule != null) {
      // Emscripten's hook: instantiate the given module with the glue's imports. A module of
      // another engine (or not a module) fails here, and createRecsys rejects with why.
      failed = new Promise((_, reject) => {
        args.instantiateWasm = (imports, done) => {
          Promise.resolve(wasmModule)
            .then((mod) => {
              if (!(mod instanceof WebAssembly.Module)) throw typeError(`wasmModule must resolve to a WebAssembly.Module, got ${describe(mod)}`);
              return WebAssembly.instantiate(mod, imports).then((instance) => done(instance, mod));
            })
            .catch((e) => reject(e?.kind ? e : fail(Error, 'format', `wasmModule: cannot start the ${engine} engine from it: ${e?.message ?? e}`)));
          return {};
        };
      });
    }
    const { default: factory } = await engines[engine]();
    const module = await (failed ? Promise.race([factory(args), failed]) : factory(args));
    if (relaxed) useRelaxedI8(module, false);
    return new Recsys(module);
  }
  platform.readFile = node ? node.readFile : null;
  platform.createRecsys = createRecsys;
  return createRecsys;
}
