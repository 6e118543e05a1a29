// The seed two-tower model (user-id embedding 64 -> Dense 128 ReLU; [category 16, brand 16,
// price] -> Dense 128 ReLU; dot product; in-batch softmax; Adam 0.001) written the way a
// TensorFlow.js developer would: variables, tf.gather, tf.matMul, optimizer.minimize.
// Runs in a page with the global `tf` (UMD build).

import { mulberry32 } from '../common/random.mjs';

/**
 * @param {object} tf the TensorFlow.js namespace, backend already set
 * @param {{user: Int32Array, category: Int32Array, brand: Int32Array, price: Float32Array,
 *          nUsers: number, nCategories: number, nBrands: number}} data one entry per example
 * @returns {{epochs: {epoch, meanLoss, seconds, examples}[], peakTensorBytes: number}}
 */
export async function trainTfjsSeed(tf, data, { epochs = 3, batchSize = 128, learningRate = 0.001, seed = 42, maxSteps = Infinity, embeddingGradient = 'scatter', onEpoch, onStep } = {}) {
  const rand = mulberry32(seed);
  const uniform = (shape, lo, hi) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * rand();
    return tf.tensor(v, shape);
  };
  const glorot = (fanIn, fanOut) => {
    const l = Math.sqrt(6 / (fanIn + fanOut));
    return uniform([fanIn, fanOut], -l, l);
  };
  const userEmb = tf.variable(uniform([data.nUsers, 64], -0.05, 0.05));
  const catEmb = tf.variable(uniform([data.nCategories, 16], -0.05, 0.05));
  const brandEmb = tf.variable(uniform([data.nBrands, 16], -0.05, 0.05));
  const Wu = tf.variable(glorot(64, 128));
  const bu = tf.variable(tf.zeros([128]));
  const Wi = tf.variable(glorot(33, 128));
  const bi = tf.variable(tf.zeros([128]));
  const optimizer = tf.train.adam(learningRate, 0.9, 0.999, 1e-7);
  // Embedding lookups: tf.gather forward, and a custom table gradient. tf.gather's own gradient
  // needs the UnsortedSegmentSum kernel, which the wasm backend lacks ("Kernel
  // 'UnsortedSegmentSum' not registered for backend 'wasm'") and which the cpu backend runs as one
  // op per table row (8.2 s per step here for the 10,000-row user table). 'scatter' sums the rows'
  // gradients with tf.scatterND (duplicates add up); 'onehot' computes oneHot(ids)ᵀ · dY.
  const embed = (table, ids) => {
    const [rows, dim] = table.shape;
    return tf.customGrad((t) => ({
      value: tf.gather(t, ids),
      gradFunc: (dy) => (embeddingGradient === 'onehot'
        ? tf.matMul(tf.oneHot(ids, rows), dy, true, false)
        : tf.scatterND(tf.expandDims(ids, 1), dy, [rows, dim])),
    }))(table);
  };
  const n = data.user.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const labelsBySize = new Map();
  const report = [];
  let peakTensorBytes = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    const t0 = performance.now();
    let lossSum = 0;
    let steps = 0;
    let seen = 0;
    for (let b = 0; b < n && steps < maxSteps; b += batchSize) {
      const B = Math.min(batchSize, n - b);
      seen += B;
      const u = new Int32Array(B), c = new Int32Array(B), br = new Int32Array(B), p = new Float32Array(B);
      for (let r = 0; r < B; r++) {
        const k = order[b + r];
        u[r] = data.user[k];
        c[r] = data.category[k];
        br[r] = data.brand[k];
        p[r] = data.price[k];
      }
      if (!labelsBySize.has(B)) labelsBySize.set(B, tf.keep(tf.eye(B)));
      const labels = labelsBySize.get(B);
      const uT = tf.tensor1d(u, 'int32'), cT = tf.tensor1d(c, 'int32'), bT = tf.tensor1d(br, 'int32');
      const pT = tf.tensor2d(p, [B, 1]);
      const lossT = optimizer.minimize(() => {
        const ue = tf.relu(tf.add(tf.matMul(embed(userEmb, uT), Wu), bu));
        const features = tf.concat([embed(catEmb, cT), embed(brandEmb, bT), pT], 1);
        const ie = tf.relu(tf.add(tf.matMul(features, Wi), bi));
        const logits = tf.matMul(ue, ie, false, true);
        return tf.losses.softmaxCrossEntropy(labels, logits);
      }, true);
      lossSum += lossT.dataSync()[0];
      steps++;
      peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
      tf.dispose([uT, cT, bT, pT, lossT]);
      onStep?.(steps, performance.now() - t0);
      // Let the page breathe: a renderer that never yields is killed after a few minutes.
      if (steps % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const seconds = (performance.now() - t0) / 1000;
    const e = { epoch, meanLoss: lossSum / steps, seconds, examples: seen };
    report.push(e);
    onEpoch?.(e);
  }
  tf.dispose([userEmb, catEmb, brandEmb, Wu, bu, Wi, bi]);
  optimizer.dispose();
  for (const l of labelsBySize.values()) l.dispose();
  return { epochs: report, peakTensorBytes };
}
