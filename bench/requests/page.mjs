// Browser side of `npm run bench -- requests`: the workload of workload.mjs on the current dist
// (/dist/) and, when served, an earlier build's (/baseline/).
import { measure } from './workload.mjs';

const log = (s) => { document.getElementById('log').textContent += `\n${s}`; console.log(s); };

window.runBench = async ({ baseline = false, calls, rounds }) => {
  const engines = [{ label: 'current', createRecsys: (await import('/dist/index.mjs')).createRecsys }];
  if (baseline) engines.push({ label: 'baseline', createRecsys: (await import('/baseline/index.mjs')).createRecsys });
  const [catalog, interactions, weights, manifest] = await Promise.all([
    fetch('/demo/synthetic/catalog.csv').then((r) => r.text()), fetch('/demo/synthetic/interactions.csv').then((r) => r.text()),
    fetch('/demo/model/model.safetensors').then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b)),
    fetch('/demo/model/manifest.json').then((r) => r.text())]);
  const out = await measure(engines, { catalog, interactions, weights, manifest }, { calls, rounds });
  log(JSON.stringify(out));
  return out;
};
window.benchReady = true;
log('ready');
