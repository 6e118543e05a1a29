// npm run build: set-up, then the native build (build/, CLI at build/recsys) and the wasm build
// (build-wasm/, module in build-wasm/dist/). Flags: --native, --wasm (one only), --no-setup.
import { build, log, setup } from './lib.mjs';

const args = process.argv.slice(2);
if (!args.includes('--no-setup')) setup();
const only = args.includes('--native') ? 'native' : args.includes('--wasm') ? 'wasm' : null;
const t = build({ native: !only || only === 'native', wasm: !only || only === 'wasm' });
log(`build done (${Object.entries(t).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')})`);
