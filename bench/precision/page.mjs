// Browser side of `npm run bench -- precision`: loadModel() of one model folder's files, timed.
import { createRecsys } from '/dist/index.mjs';

const rs = await createRecsys();

// Fetches dir's files once (fetchMs), then loads them `times` times after one warm-up and
// returns the median load time; each loaded model is disposed.
window.timeLoad = async (dir, times) => {
  const t0 = performance.now();
  const [weights, manifest] = await Promise.all([
    fetch(`${dir}model.safetensors`).then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b)),
    fetch(`${dir}manifest.json`).then((r) => r.text())]);
  const fetchMs = performance.now() - t0;
  const ms = [];
  for (let i = 0; i <= times; i++) {
    const s = performance.now();
    const model = await rs.loadModel({ weights, manifest });
    if (i > 0) ms.push(performance.now() - s);
    model.dispose();
  }
  ms.sort((a, b) => a - b);
  return { fetchMs, loadMs: ms[Math.floor(ms.length / 2)], loadsMs: ms };
};
document.getElementById('log').textContent = 'ready';
