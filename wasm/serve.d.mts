// Type declarations for recsys-wasm/serve: the API of recsys-wasm with the serving engine alone.
export * from './index.mjs';
import type { Recsys } from './index.mjs';

/** Loads the serving engine (no training, evaluation, shop generation or model saving; no strategy with the fitted 'ease' source). */
export function createRecsys(options?: { engine?: 'serve'; wasmBinary?: ArrayBuffer | Uint8Array; wasmUrl?: string | URL; wasmModule?: WebAssembly.Module | Promise<WebAssembly.Module>; relaxedSimd?: boolean }): Promise<Recsys>;
export default createRecsys;
