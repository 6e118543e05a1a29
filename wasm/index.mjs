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
  constructor(handle) { super(handle, 'Dataset'); }
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
    return new Dataset(this.#m.generateShop(JSON.stringify(config)));
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
    return new Dataset(this.#m.loadDataset(catalog, cf, `catalog.${cf}`, interactions, xf, `interactions.${xf}`));
  }

  /** Loads the committed UCI Online Retail extract (data/online_retail/items.csv + baskets.csv). */
  loadOnlineRetail({ items, baskets } = {}) {
    checkString(items, 'items');
    checkString(baskets, 'baskets');
    return new Dataset(this.#m.loadOnlineRetailExtract(items, baskets));
  }

  /** Loads the raw UCI Online Retail CSV. */
  loadOnlineRetailCsv(text, { source = 'online_retail.csv' } = {}) {
    return new Dataset(this.#m.loadOnlineRetailCsv(checkString(text, 'text'), checkString(source, 'source')));
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
