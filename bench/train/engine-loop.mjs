// The recsys side of the training benchmark, shared by the page (Chromium) and Node: trains to the
// end in slices of 50 steps, timing each epoch in JS as the TF.js loop is timed, and tracks the
// peak wasm heap.
export function trainTimed(rs, trainer, onEpoch = () => {}) {
  const epochs = [];
  let heapPeak = rs.memoryUsage().heapBytes;
  while (!trainer.done) {
    const t0 = performance.now();
    let steps = 0;
    let lossSum = 0;
    let finished = null;
    while (!finished) {
      const r = trainer.step(50);
      lossSum += r.meanLoss * r.steps;
      steps += r.steps;
      if (r.finishedEpochs.length) finished = r.finishedEpochs[0];
      heapPeak = Math.max(heapPeak, rs.memoryUsage().heapBytes);
    }
    const e = { epoch: finished.epoch, meanLoss: lossSum / steps, seconds: (performance.now() - t0) / 1000, examples: finished.examples };
    epochs.push(e);
    onEpoch(e);
  }
  return { epochs, wasmHeapBytes: heapPeak };
}
