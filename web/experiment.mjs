// Experiment page: the arms, split, size and bandit policy from the form; the experiment runs in a
// module Worker (experiment-worker.mjs) and every step's report updates the uPlot charts (CTR and
// revenue per user with intervals, the p-values, the bandit's allocation) and the tables.
import uPlot from './vendor/uPlot.esm.js';

const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL('./experiment-worker.mjs', import.meta.url), { type: 'module' });
const COLORS = ['#0b6bcb', '#b3261e', '#2e7d32', '#8e24aa', '#ef6c00', '#00838f', '#5d4037', '#c2185b'];
const ARMS = {
  model: { name: 'model' },
  popularity: { name: 'popularity', use_ranker: false,
    strategy: { scenes: { default: { sources: [{ source: 'popular', quota: 100 }], rank: false, diversity: 0 } } } },
  diversified: { name: 'diversified', diversity: 0.3 },
  random: { name: 'random', random: true },
};
let charts = null;

const fmt = (x, d = 4) => (x === null || x === undefined || Number.isNaN(x) ? '—' : Number(x).toFixed(d));
const pct = (x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`;
const pval = (p) => (p === undefined || p === null ? '—' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

function config() {
  const names = [...document.querySelectorAll('input[name=arm]:checked')].map((e) => e.value);
  if (names.length < 2) throw new Error('choose at least two arms');
  const share = Number($('control-share').value) / 100;
  const arms = names.map((n, i) => ({ ...ARMS[n], weight: i === 0 ? share : (1 - share) / (names.length - 1) }));
  const sessions = Number($('sessions').value);
  const c = { arms, sessions, seed: Number($('seed').value), bandit: { policy: $('policy').value, sessions: Math.max(1, Math.floor(sessions / 2)) } };
  c.ope = names.includes('model') && names.includes('popularity')
    ? { logging: 'popularity', target: 'model', sessions: Math.max(10, Math.floor(sessions / 2)) } : false;
  return c;
}

function chart(el, names, ylabel, { log = false, bands = true, extra = [] } = {}) {
  el.replaceChildren();
  const series = [{ label: 'sessions' }];
  names.forEach((n, i) => {
    series.push({ label: n, stroke: COLORS[i % COLORS.length], width: 2 });
    if (bands) {
      series.push({ label: `${n} low`, stroke: COLORS[i % COLORS.length], width: 1, dash: [4, 4] });
      series.push({ label: `${n} high`, stroke: COLORS[i % COLORS.length], width: 1, dash: [4, 4] });
    }
  });
  series.push(...extra);
  const plot = new uPlot({
    width: Math.min(560, el.clientWidth || 520), height: 240,
    scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
    axes: [{ label: 'sessions' }, { label: ylabel, values: log ? (u, vals) => vals.map((v) => (v === null ? "" : v.toExponential(0))) : undefined }],
    // The interval lines share their arm's colour: a key of the arms instead of uPlot's legend.
    legend: { show: !bands },
    series,
  }, [[], ...series.slice(1).map(() => [])], el);
  if (bands) {
    const key = document.createElement('p');
    key.className = 'chart-key';
    key.append(...names.map((n, i) => Object.assign(document.createElement('span'),
      { textContent: `■ ${n}`, style: `color: ${COLORS[i % COLORS.length]}; margin-right: 1em` })),
    Object.assign(document.createElement('span'), { textContent: '(dashed: 95 % interval)' }));
    el.append(key);
  }
  return plot;
}

function reset(names) {
  charts = {
    names,
    ctr: chart($('ctr-chart'), names, 'CTR'),
    rpu: chart($('rpu-chart'), names, 'revenue / user'),
    p: chart($('p-chart'), ['fixed-horizon p', 'always-valid p'], 'p', { log: true, bands: false,
      extra: [{ label: 'α = 0.05', stroke: '#777', dash: [2, 6] }] }),
    bandit: chart($('bandit-chart'), names, 'share', { bands: false }),
  };
}

function draw(report) {
  const h = report.history;
  const x = h.map((p) => p.sessions);
  const band = (key) => {
    const cols = [x];
    charts.names.forEach((_, a) => {
      cols.push(h.map((p) => p.arms[a][key].value));
      cols.push(h.map((p) => p.arms[a][key].ciLow));
      cols.push(h.map((p) => p.arms[a][key].ciHigh));
    });
    return cols;
  };
  charts.ctr.setData(band('ctr'));
  charts.rpu.setData(band('revenuePerUser'));
  // Plotted down to 1e-12 (the log axis of tinier p-values would span hundreds of decades).
  const clip = (p) => (p === undefined || p === null ? null : Math.max(p, 1e-12));
  charts.p.setData([x, h.map((p) => clip(p.pValue)), h.map((p) => clip(p.sequentialP)), x.map(() => 0.05)]);
  if (report.bandit) {
    const bh = report.bandit.history;
    const cols = [bh.map((p) => p.sessions)];
    charts.names.forEach((_, a) => cols.push(bh.map((p) => {
      const total = p.pulls.reduce((s, v) => s + v, 0);
      return total ? p.pulls[a] / total : null;
    })));
    charts.bandit.setData(cols);
  }
  // Tables.
  $('results').tBodies[0].replaceChildren(...report.arms.map((a) => {
    const tr = document.createElement('tr');
    tr.dataset.arm = a.name;
    const ci = (m, d = 4) => `${fmt(m.value, d)} [${fmt(m.ciLow, d)}, ${fmt(m.ciHigh, d)}]`;
    for (const text of [a.name, a.users.toLocaleString(), ci(a.ctr), ci(a.conversion), ci(a.cartRate), ci(a.revenuePerUser, 2), fmt(a.aov.value, 2), fmt(a.coverage)]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
  const rows = [];
  for (const c of report.comparisons) {
    for (const [key, label] of [['ctr', 'CTR'], ['conversion', 'conversion'], ['cartRate', 'add-to-cart'], ['revenuePerUser', 'revenue / user'], ['aov', 'AOV']]) {
      const t = c[key];
      if (!t) continue;
      const tr = document.createElement('tr');
      tr.dataset.arm = c.arm;
      tr.dataset.metric = key;
      tr.dataset.p = String(t.pValue);
      const cuped = t.cuped ? `${pval(t.cuped.pValue)} (−${(100 * t.cuped.varianceReduction).toFixed(1)} %)` : '—';
      for (const text of [`${c.arm} vs ${c.control}`, label, pct(t.relative), `[${fmt(t.ciLow)}, ${fmt(t.ciHigh)}]`, pval(t.pValue), pval(t.sequentialP), cuped]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      rows.push(tr);
    }
  }
  $('tests').tBodies[0].replaceChildren(...rows);
  $('warnings').replaceChildren(...report.warnings.map((w) => Object.assign(document.createElement('li'), { textContent: w })));
  if (report.srm) {
    $('srm').textContent = `Sample-ratio check: χ² ${fmt(report.srm.chiSquare, 2)}, p ${pval(report.srm.pValue)}${report.srm.mismatch ? ' — MISMATCH: the split is broken' : ' (the split holds)'}`;
  }
  if (report.bandit) {
    const b = report.bandit;
    $('bandit').textContent = `Bandit (${b.policy} on ${b.reward}): ${b.sessions.toLocaleString()} sessions, reward ${fmt(b.totalReward, 0)}, ` +
      `regret ${fmt(b.regret, 1)} against the best arm; pulls ${b.pulls.map((p, a) => `${charts.names[a]} ${p}`).join(', ')}`;
  }
  if (report.ope?.truth) {
    const o = report.ope;
    const e = (m) => `${fmt(m.value)} [${fmt(m.ciLow)}, ${fmt(m.ciHigh)}]`;
    $('ope').textContent = `Off-policy (logged around ${o.logging}, ε ${o.epsilon}): ${o.target}'s first-slate clicks — truth ${e(o.truth)}, ` +
      `IPS ${e(o.ips)}, SNIPS ${o.snips ? e(o.snips) : '—'}, DR ${e(o.dr)}`;
  }
}

worker.onmessage = ({ data: msg }) => {
  if (msg.type === 'report' || msg.type === 'done') {
    const r = msg.report;
    draw(r);
    $('bar').style.width = `${(100 * r.sessions / r.plannedSessions).toFixed(1)}%`;
    $('progress').textContent = `${r.sessions.toLocaleString()} of ${r.plannedSessions.toLocaleString()} A/B sessions, ${msg.seconds.toFixed(1)} s`;
    $('progress').dataset.sessions = String(r.sessions);
  }
  if (msg.type === 'done') {
    $('start').disabled = false;
    $('stop').disabled = true;
    document.body.dataset.done = msg.stopped ? 'stopped' : 'true';
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
  let c;
  try {
    c = config();
  } catch (err) {
    $('error').textContent = err.message;
    return;
  }
  reset(c.arms.map((a) => a.name));
  $('start').disabled = true;
  $('stop').disabled = false;
  worker.postMessage({ type: 'start', config: c, stepSessions: 200 });
});
$('stop').addEventListener('click', () => worker.postMessage({ type: 'stop' }));
$('ping').addEventListener('click', () => { $('pings').textContent = String(Number($('pings').textContent) + 1); });
