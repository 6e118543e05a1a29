// npm run bench -- simulator: simulated sessions per second of each default experiment arm
// (build/recsys bench-simulator: the default shop, the demo model with its ranker, the exact
// index, 5 slates at most per session), natively on one thread and on every core. Target
// (issue 11): 10,000 sessions per second natively. Writes bench/results/simulator.json.
import { join } from 'node:path';
import { fmt, machine, root, runJson, waitForIdle, writeResult } from '../lib.mjs';

export async function run({ quick = false } = {}) {
  await waitForIdle();
  const r = runJson(join(root, 'build', 'recsys'), ['bench-simulator', '--sessions', String(quick ? 500 : 3000), '--json']);
  const out = { benchmark: 'simulator', date: new Date().toISOString(), machine: machine(), ...r };
  const file = writeResult('simulator', out);
  console.log(`\nsimulated sessions per second, default shop (${fmt(r.items)} items), exact index:`);
  for (const x of r.results) {
    console.log(`  ${x.arm.padEnd(12)} ${fmt(x.sessions_per_second_1_thread).padStart(9)} on 1 thread  ${fmt(x.sessions_per_second_all_cores).padStart(9)} on ${x.cores ?? 1} cores  (${fmt(x.slates_per_session, 2)} slates per session)`);
  }
  const model = r.results.find((x) => x.arm === 'model');
  console.log(`  ${model.sessions_per_second_all_cores >= 10000 ? 'met ' : 'MISS'}  10,000 sessions/s (model arm, every core)`);
  console.log(`wrote ${file}`);
  return out;
}
