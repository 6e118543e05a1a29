// The int8 index's scan with WebAssembly's relaxed integer dot product
// (i32x4.relaxed_dot_i8x16_i7x16_add_s: sixteen int8 products and their sums into four int32
// lanes, in one instruction), as a separate module of one function that shares the engine's
// memory. The compiler of this toolchain (clang 14) cannot emit the instruction, so the module is
// written here, byte by byte, and for one dimension d at a time: the loop over d unrolled, every
// load at a constant offset from the row group's pointer, the query's codes kept in registers
// when they fit (in Chromium on 1M x 64, 3.0 ms a scan against 3.9 ms for one loop over any d).
// Chromium runs relaxed SIMD since version 114. Where the module does not validate (Node 20
// without --experimental-wasm-relaxed-simd, older browsers), the engine's own SIMD kernel runs,
// with the same results: every score is the same integer dot product, converted and scaled as
// that kernel does (tests compare them bit for bit).
//
// scan(items, n, d, q, scale, out) -> rows done: for rows r < done (the largest multiple of 4
// up to n), out[r] = f32(<items row r, q>) * scale[r], where items are n x d int8 codes in
// [-63, 63], q holds the query's codes plus 64 (in [1, 127]; the hook's contract) and d is the
// module's dimension (for another d it returns 0: declined). The instruction's 7-bit operand is
// the row: <q, x + 64> = <q, x> + 64 * sum(q), one dot product per 16 codes (the +64 an add of
// bytes), and 64 * sum(q), a constant of the query, is taken off each total: the same integers.
// (The first form put the query on the 7-bit side, <x, q + 64> - 64 * sum(x), which took a second
// dot product per 16 codes for sum(x): 1.43 against 1.18 ms per 1M x 64 codes in cache in
// Chromium 156 here; from memory the scan is bound by the bandwidth, 5.07 against 4.94 ms.)

export const leb = (n) => { // unsigned LEB128 (also the size tool's tests' module writer)
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
const add = [0x6a], mul = [0x6c];
const simd = (op) => [0xfd, ...leb(op)];
const const0 = [...simd(0x0c), ...new Array(16).fill(0)];
const shuffle = (lanes) => [...simd(0x0d), ...lanes];
const i8splat = simd(0x0f), i32add = simd(0xae), i32sub = simd(0xb1);
const f32mul = simd(0xe6), f32convert = simd(0xfa);
const i8add = simd(0x6e), i8sub = simd(0x71), i32splat = simd(0x11), shl = [0x74];
const ones = [...simd(0x0c), ...new Array(16).fill(1)];
const relaxedDot = simd(0x113);  // i32x4.relaxed_dot_i8x16_i7x16_add_s (a: i8x16, b: i7x16, c: i32x4)

// i32 lanes (a0, b0, a1, b1) and (a2, b2, a3, b3) of two vectors; then the low and high halves.
const bytesOf = (lanes) => lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
const INTERLEAVE_LO = bytesOf([0, 4, 1, 5]), INTERLEAVE_HI = bytesOf([2, 6, 3, 7]);
const HALF_LO = bytesOf([0, 1, 4, 5]), HALF_HI = bytesOf([2, 3, 6, 7]);

const loadAt = (offset) => [...simd(0x00), 0, ...leb(offset)];  // v128.load at a constant offset
const storeAt = (offset) => [...simd(0x0b), 0, ...leb(offset)];
const geU = [0x4f], remU = [0x70], sub = [0x6b], ne = [0x47];
// The query's 16-code vectors stay in locals up to this many (beside the four rows' accumulators:
// x86's sixteen vector registers); above it each is loaded where it is used.
const QUERY_REGISTERS = 4;

function body(d) {
  // Parameters 0-5: items, n, d, q, scale, out. Locals: i32 6 the row group's pointer, 7 the end
  // of the groups, 8 its scales, 9 its outputs; v128: 10-13 dot accumulators, 14 64 · sum(q) in
  // every lane, 15 64 in every byte, 16- the query's signed codes when they are kept.
  const [ITEMS, N, D, Q, SCALE, OUT, PTR, END, SC, OU] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const ACC = (i) => 10 + i, BIAS = 14, C64 = 15, QV = (j) => 16 + j;
  const steps = d / 16, keep = steps <= QUERY_REGISTERS;
  const locals = [[4, I32], [6 + (keep ? steps : 0), V128]];
  const code = [];
  const emit = (...parts) => { for (const p of parts) code.push(...p); };
  emit(get(D), i32(d), ne, [0x04, 0x40], i32(0), [0x0f], [0x0b]);  // if (d != this d) return 0
  emit(i32(64), i8splat, set(C64));
  // The query's codes back to signed (q_u7 - 64), and 64 · sum(q) from their dot product with ones.
  const signedQuery = (j) => [...get(Q), ...loadAt(16 * j), ...get(C64), ...i8sub];
  emit(const0, set(BIAS));
  for (let j = 0; j < steps; j++) {
    if (keep) emit(signedQuery(j), tee(QV(j)));
    else emit(signedQuery(j));
    emit(ones, get(BIAS), relaxedDot, set(BIAS));
  }
  const lane = (l) => [...get(BIAS), ...simd(0x1b), l];  // i32x4.extract_lane l
  emit(lane(0), lane(1), add, lane(2), add, lane(3), add, i32(6), shl, i32splat, set(BIAS));
  const query = (j) => (keep ? get(QV(j)) : signedQuery(j));
  // end = items + (n - n % 4) * d
  emit(get(ITEMS), get(N), get(N), i32(4), remU, sub, i32(d), mul, add, set(END));
  emit(get(ITEMS), set(PTR), get(SCALE), set(SC), get(OUT), set(OU));
  emit([0x02, 0x40], [0x03, 0x40]);  // block, loop (rows in fours)
  emit(get(PTR), get(END), geU, [0x0d, 1]);  // if (ptr >= end) break
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < steps; j++) {
      const acc = j === 0 ? const0 : get(ACC(i));
      // acc += <q, x + 64>: the row's codes (in [-63, 63]) as the 7-bit operand
      emit(query(j), get(PTR), loadAt(i * d + 16 * j), get(C64), i8add, acc, relaxedDot, set(ACC(i)));
    }
  }
  // The four rows' totals, less 64 · sum(q): the exact dot products (integers).
  const pairs = (a, b) => [get(a), get(b), shuffle(INTERLEAVE_LO), get(a), get(b), shuffle(INTERLEAVE_HI), i32add];
  emit(...pairs(ACC(0), ACC(1)), set(ACC(0)), ...pairs(ACC(2), ACC(3)), set(ACC(2)));
  // out[r .. r + 4] = f32(totals) * scale[r .. r + 4]
  emit(get(OU), get(ACC(0)), get(ACC(2)), shuffle(HALF_LO), get(ACC(0)), get(ACC(2)), shuffle(HALF_HI), i32add, get(BIAS), i32sub, f32convert);
  emit(get(SC), loadAt(0), f32mul, storeAt(0));
  emit(get(PTR), i32(4 * d), add, set(PTR), get(SC), i32(16), add, set(SC), get(OU), i32(16), add, set(OU));
  emit([0x0c, 0], [0x0b], [0x0b]);  // br loop; end loop; end block
  emit(get(N), get(N), i32(4), remU, sub, [0x0b]);  // return n - n % 4
  const bytes = [...vec(locals.map(([n, t]) => [...leb(n), t])), ...code];
  return [...leb(bytes.length), ...bytes];
}

/**
 * The kernel module's bytes for dimension d (a positive multiple of 16). shared: for the pthread
 * engine's shared memory (its import then declares a maximum of 4 GiB, which any engine memory
 * satisfies).
 */
export function relaxedI8Module({ d = 64, shared = false } = {}) {
  if (!Number.isInteger(d) || d <= 0 || d % 16 !== 0) throw new RangeError(`d must be a positive multiple of 16, got ${d}`);
  const memoryLimits = shared ? [0x03, ...leb(0), ...leb(65536)] : [0x00, ...leb(0)];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([I32, I32, I32, I32, I32, I32]), ...vec([I32])]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...memoryLimits]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('scan'), 0x00, 0]])),
    ...section(10, vec([body(d)])),
  ]);
}

/** The compiled kernel for dimension d, or null where this runtime does not take relaxed SIMD. */
export function compileRelaxedI8({ d = 64, shared = false } = {}) {
  const bytes = relaxedI8Module({ d, shared });
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return null;
  return new WebAssembly.Module(bytes);  // a few KB: synchronous compiling is allowed
}
