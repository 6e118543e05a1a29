// Shared by the benchmarks: the build, a static server that also serves bench/ and
// node_modules/, headless Debian Chromium through playwright-core, and result files.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../web/server.mjs';
import { root } from '../scripts/lib.mjs';

export { root };

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

// extraMounts: more [urlPrefix, dir] pairs to serve (an earlier build's dist/ for a baseline).
export async function withBrowserPage(fn, extraMounts = []) {
  const server = await startServer({
    port: 0,
    extraMounts: [...extraMounts, ['/bench/', join(root, 'bench')], ['/node_modules/', join(root, 'node_modules')]],
  });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (process.env.BENCH_VERBOSE) console.log(`  [page] ${m.text()}`); });
    page.on('pageerror', (e) => console.error(`  [page error] ${e.message}`));
    const base = `http://127.0.0.1:${server.address().port}`;
    return await fn(page, base, browser.version());
  } finally {
    await browser.close();
    server.close();
  }
}

export function machine() {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

/**
 * Waits until the machine's CPUs are quiet now: `windows` consecutive 200 ms windows in which
 * /proc/stat counts at least `idle` of the CPU time as idle (at most maxSeconds). The load average
 * that waitForIdle reads lags by a minute; this sees a browser that is still starting a window.
 */
export async function waitForQuiet({ idle = 0.85, windows = 3, maxSeconds = 10 } = {}) {
  const { readFileSync } = await import('node:fs');
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const t0 = Date.now();
  let quiet = 0;
  let a = read();
  while (quiet < windows && Date.now() - t0 < maxSeconds * 1000) {
    await new Promise((r) => setTimeout(r, 200));
    const b = read();
    quiet = b.total > a.total && (b.idle - a.idle) / (b.total - a.total) >= idle ? quiet + 1 : 0;
    a = b;
  }
  return (Date.now() - t0) / 1000;
}

/** Waits until the machine is fairly idle (the 2 cores are shared): load average below a bound. */
export async function waitForIdle(maxSeconds = 20) {
  const { loadavg } = await import('node:os');
  const t0 = Date.now();
  while (loadavg()[0] > 1.0 && Date.now() - t0 < maxSeconds * 1000) await new Promise((r) => setTimeout(r, 1000));
}

export function writeResult(name, result) {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 1)}\n`);
  return file;
}

export function runJson(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout);
}

export function hasCommand(cmd, args = ['--version']) {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const fmt = (x, digits = 0) => (x === null || x === undefined ? '—' : Number(x).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
