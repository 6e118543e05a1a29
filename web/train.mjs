// Train page: a two-tower model trained in a Web Worker with live charts (uPlot, copied from npm
// into /vendor/), a progress bar with ETA, and the trained model for download or for the Recommend page.
import uPlot from './vendor/uPlot.esm.js';

const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL('./train-worker.mjs', import.meta.url), { type: 'module' });
let run = null;

const chart = (el, series, ylabel) => new uPlot({
  width: Math.min(560, el.clientWidth || 520), height: 240,
  scales: { x: { time: false } },
  axes: [{ label: 'step' }, { label: ylabel }],
  series: [{ label: 'step' }, ...series],
}, [[], ...series.map(() => [])], el);

function reset() {
  $('loss-chart').replaceChildren();
  $('recall-chart').replaceChildren();
  run = {
    loss: chart($('loss-chart'), [{ label: 'mean loss', stroke: '#0b6bcb', width: 2 }], 'loss'),
    recall: chart($('recall-chart'), [{ label: 'two-tower', stroke: '#0b6bcb', width: 2, points: { show: true } },
      { label: 'popularity', stroke: '#b3261e', dash: [6, 4] }], 'recall@10'),
    lossData: [[], []], recallData: [[], [], []], started: performance.now(), totalSteps: 0, popularity: null,
  };
}

function fmtTime(s) {
  if (!Number.isFinite(s)) return '—';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')}`;
}

worker.onmessage = ({ data: msg }) => {
  if (msg.type === 'start') {
    run.totalSteps = msg.stepsPerEpoch * msg.epochs;
    run.popularity = msg.popularityRecall;
    $('progress').textContent = `${msg.examplesPerEpoch.toLocaleString()} examples per epoch, ${run.totalSteps.toLocaleString()} steps`;
    $('engine').textContent = msg.threads > 1
      ? `training runs in a Web Worker: pthread build, ${msg.threads} threads`
      : `training runs in a Web Worker: single-thread engine${crossOriginIsolated ? '' : ' (the page is not cross-origin isolated)'}`;
  } else if (msg.type === 'progress') {
    const r = msg.report;
    run.lossData[0].push(r.totalSteps);
    run.lossData[1].push(r.meanLoss);
    run.loss.setData(run.lossData);
    for (const e of r.finishedEpochs) {
      if (e.validationRecall === undefined) continue;
      run.recallData[0].push(r.totalSteps);
      run.recallData[1].push(e.validationRecall);
      run.recallData[2].push(run.popularity);
      run.recall.setData(run.recallData);
      document.body.dataset.epochs = String(run.recallData[0].length);
    }
    const elapsed = (performance.now() - run.started) / 1000;
    const left = elapsed / r.totalSteps * (run.totalSteps - r.totalSteps);
    $('bar').style.width = `${(100 * r.totalSteps / run.totalSteps).toFixed(1)}%`;
    $('progress').textContent = `epoch ${r.epoch}, step ${r.stepInEpoch}/${r.stepsPerEpoch}, loss ${r.meanLoss.toFixed(4)}, ` +
      `${Math.round(r.examplesPerSecond).toLocaleString()} examples/s, ETA ${fmtTime(left)}`;
    $('progress').dataset.loss = r.meanLoss.toFixed(5);
    $('progress').dataset.steps = String(r.totalSteps);
  } else if (msg.type === 'done') {
    $('start').disabled = false;
    $('stop').disabled = true;
    const last = msg.history.at(-1);
    $('result').textContent = msg.history.length
      ? `${msg.stopped ? 'Stopped' : 'Done'} after ${msg.history.length} epoch(s): loss ${last.meanLoss.toFixed(4)}` +
        (last.validationRecall !== undefined ? `, validation recall@10 ${last.validationRecall.toFixed(4)} (popularity ${run.popularity?.toFixed(4)})` : '')
      : 'Stopped before the first epoch ended.';
    const w = new Blob([msg.files.weights], { type: 'application/octet-stream' });
    const m = new Blob([msg.files.manifest], { type: 'application/json' });
    for (const [id, blob] of [['download-weights', w], ['download-manifest', m]]) {
      const a = $(id);
      if (a.href) URL.revokeObjectURL(a.href);
      a.href = URL.createObjectURL(blob);
      a.hidden = false;
    }
    $('use').hidden = $('dataset').value !== 'synthetic';
    $('use').onclick = async () => {
      const cache = await caches.open('recsys-models');
      await cache.put('/trained-model/model.safetensors', new Response(w));
      await cache.put('/trained-model/manifest.json', new Response(m));
      location.href = 'recommend.html?model=trained';
    };
    document.body.dataset.done = 'true';
  } else if (msg.type === 'error') {
    $('error').textContent = `${msg.name}: ${msg.message}`;
    $('start').disabled = false;
    $('stop').disabled = true;
  }
};

$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  $('error').textContent = '';
  delete document.body.dataset.done;
  reset();
  $('start').disabled = true;
  $('stop').disabled = false;
  worker.postMessage({ type: 'start', options: {
    dataset: $('dataset').value, preset: $('preset').value, epochs: Number($('epochs').value),
    batchSize: Number($('batch').value), learningRate: Number($('lr').value) } });
});
$('stop').addEventListener('click', () => worker.postMessage({ type: 'stop' }));
$('ping').addEventListener('click', () => { $('pings').textContent = String(Number($('pings').textContent) + 1); });
reset();
