// The int8 index's scan with WebAssembly's relaxed integer dot product
// (i32x4.relaxed_dot_i8x16_i7x16_add_s: sixteen int8 products and their sums into four int32
// lanes, in one instruction), as a separate module of one function that shares the engine's
// memory. The compiler of this toolchain (clang 14) cannot emit the instruction, so the module is
// written here, byte by byte; Chromium runs relaxed SIMD since version 114. Where the module does
// not validate (Node 20 without --experimental-wasm-relaxed-simd, older browsers), the engine's
// own SIMD kernel runs, with the same results: every score is the same integer dot product,
// converted and scaled as that kernel does (tests compare them bit for bit).
//
// scan(items, n, d, q, scale, out) -> rows done: for rows r < done (the largest multiple of 4
// up to n), out[r] = f32(<items row r, q>) * scale[r], where items are n × d int8 codes, q holds
// the query's codes plus 64 (so in [1, 127], the operand the instruction takes as 7-bit) and d is
// a multiple of 16. The +64 is taken back exactly: <a, q + 64> - 64 · Σa, with Σa from a second
// dot product against ones.

const leb = (n) => { // unsigned LEB128
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n) => { // signed LEB128 (small values)
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) return [...out, b];
    out.push(b | 0x80);
  }
};
const vec = (items) => [...leb(items.length), ...items.flat()];
const name = (s) => vec([...new TextEncoder().encode(s)]);
const section = (id, bytes) => [id, ...leb(bytes.length), ...bytes];

// Opcodes used (the SIMD ones after the 0xfd prefix).
const I32 = 0x7f, V128 = 0x7b;
const get = (i) => [0x20, ...leb(i)], set = (i) => [0x21, ...leb(i)], tee = (i) => [0x22, ...leb(i)];
const i32 = (v) => [0x41, ...sleb(v)];
const add = [0x6a], mul = [0x6c], ltU = [0x49], gtU = [0x4b];
const simd = (op) => [0xfd, ...leb(op)];
const load = [...simd(0x00), 0, 0], store = [...simd(0x0b), 0, 0];
const const0 = [...simd(0x0c), ...new Array(16).fill(0)];
const shuffle = (lanes) => [...simd(0x0d), ...lanes];
const i8splat = simd(0x0f), i32add = simd(0xae), i32sub = simd(0xb1), i32shl = simd(0xab);
const f32mul = simd(0xe6), f32convert = simd(0xfa);
const relaxedDot = simd(0x113);  // i32x4.relaxed_dot_i8x16_i7x16_add_s (a: i8x16, b: i7x16, c: i32x4)

// i32 lanes (a0, b0, a1, b1) and (a2, b2, a3, b3) of two vectors; then the low and high halves.
const bytesOf = (lanes) => lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
const INTERLEAVE_LO = bytesOf([0, 4, 1, 5]), INTERLEAVE_HI = bytesOf([2, 6, 3, 7]);
const HALF_LO = bytesOf([0, 1, 4, 5]), HALF_HI = bytesOf([2, 3, 6, 7]);

function body() {
  // Parameters 0-5: items, n, d, q, scale, out. Locals: 6 r, 7 k, 8-11 row pointers,
  // 12-15 dot accumulators, 16-19 code sums, 20 the query's 16 codes, 21 the row's, 22 ones.
  const [ITEMS, N, D, Q, SCALE, OUT, R, K] = [0, 1, 2, 3, 4, 5, 6, 7];
  const ROW = (i) => 8 + i, ACC = (i) => 12 + i, SUM = (i) => 16 + i, QV = 20, X = 21, ONES = 22;
  const locals = [[6, I32], [11, V128]];  // 6..11 i32 (r, k, four rows), 12..22 v128
  const code = [];
  const emit = (...parts) => { for (const p of parts) code.push(...p); };
  // ones = i8x16.splat(1)
  emit(i32(1), i8splat, set(ONES));
  emit([0x02, 0x40], [0x03, 0x40]);  // block, loop (rows in fours)
  // if (r + 4 > n) break
  emit(get(R), i32(4), add, get(N), gtU, [0x0d, 1]);
  for (let i = 0; i < 4; i++) {
    // row i = items + (r + i) · d
    emit(get(ITEMS), get(R), i32(i), add, get(D), mul, add, set(ROW(i)));
    emit(const0, set(ACC(i)), const0, set(SUM(i)));
  }
  emit(i32(0), set(K));
  emit([0x03, 0x40]);  // loop over the dimensions, 16 codes a step
  emit(get(Q), get(K), add, load, set(QV));
  for (let i = 0; i < 4; i++) {
    emit(get(ROW(i)), get(K), add, load, tee(X));
    emit(get(QV), get(ACC(i)), relaxedDot, set(ACC(i)));  // acc += <x, q + 64>
    emit(get(X), get(ONES), get(SUM(i)), relaxedDot, set(SUM(i)));  // sum += <x, 1>
  }
  emit(get(K), i32(16), add, tee(K), get(D), ltU, [0x0d, 0], [0x0b]);  // k += 16; while k < d
  // The exact dot products: acc - 64 · sum, lane by lane (integers), then the four rows' totals.
  for (let i = 0; i < 4; i++) emit(get(ACC(i)), get(SUM(i)), i32(6), i32shl, i32sub, set(ACC(i)));
  const pairs = (a, b) => [get(a), get(b), shuffle(INTERLEAVE_LO), get(a), get(b), shuffle(INTERLEAVE_HI), i32add];
  emit(...pairs(ACC(0), ACC(1)), set(ACC(0)), ...pairs(ACC(2), ACC(3)), set(ACC(2)));
  // out + 4r ← f32(totals) · scale[r .. r + 4]
  emit(get(OUT), get(R), i32(2), [0x74], add);  // i32.shl: r · 4
  emit(get(ACC(0)), get(ACC(2)), shuffle(HALF_LO), get(ACC(0)), get(ACC(2)), shuffle(HALF_HI), i32add, f32convert);
  emit(get(SCALE), get(R), i32(2), [0x74], add, load, f32mul, store);
  emit(get(R), i32(4), add, set(R));
  emit([0x0c, 0], [0x0b], [0x0b]);  // br loop; end loop; end block
  emit(get(R), [0x0b]);  // return r
  const bytes = [...vec(locals.map(([n, t]) => [...leb(n), t])), ...code];
  return [...leb(bytes.length), ...bytes];
}

/**
 * The kernel module's bytes. shared: for the pthread engine's shared memory (its import then
 * declares a maximum of 4 GiB, which any engine memory satisfies).
 */
export function relaxedI8Module({ shared = false } = {}) {
  const memoryLimits = shared ? [0x03, ...leb(0), ...leb(65536)] : [0x00, ...leb(0)];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([I32, I32, I32, I32, I32, I32]), ...vec([I32])]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...memoryLimits]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('scan'), 0x00, 0]])),
    ...section(10, vec([body()])),
  ]);
}

/** The compiled kernel, or null where this runtime does not take relaxed SIMD. */
export function compileRelaxedI8({ shared = false } = {}) {
  const bytes = relaxedI8Module({ shared });
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return null;
  return new WebAssembly.Module(bytes);  // a few hundred bytes: synchronous compiling is allowed
}
