// Float32 matmul throughput: @saelab/tensor's WebAssembly kernels (1 and 2 threads) vs @tensorflow/tfjs-backend-wasm
// and a plain JavaScript triple loop.   Run: npm run bench -w @saelab/tensor   (tsx bench/matmul.ts)
//
// Every row times out = A @ B for row-major float32 A [M, K], B [K, N] on the same seeded inputs (copies in and
// out included where a backend needs them). GFLOP/s = 2*M*K*N / median seconds of the timed runs. All rows are
// warmed up first (V8 tiers wasm up lazily), then timed in interleaved rounds (every round runs every shape on
// every row, in a rotating order), and each timed run is followed by an equally long pause: the machine this
// runs on is shared and throttles sustained use of both cores, and this way every row sees the same conditions.
// Ends with two machine-readable lines:  RESULT matmul_gflops <g>  and  RESULT matmul_vs_tfjs_wasm <ratio>.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(pkgDir, 'src/backends/wasm/kernels-wasm.generated.ts'))) {
  execFileSync(process.execPath, [join(pkgDir, 'scripts/build-wasm.mjs')], { stdio: 'inherit' });
}
const { disposeInstance, instantiate, threadsOf } = await import('../src/backends/wasm/loader.js');
const { matmul } = await import('../src/backends/wasm/gemm.js');

const SHAPES: [number, number, number][] = [
  [256, 128, 1024],
  [1024, 128, 1024],
  [512, 512, 512],
  [5376, 128, 384],
  [5376, 512, 128],
];
const WARMUP = 8;
const ROUNDS = 21;

/** A matmul under test: out [M, N] = a [M, K] @ b [K, N]. */
type MatmulCallback = (a: Float32Array, b: Float32Array, out: Float32Array, M: number, K: number, N: number) => void;
interface Row {
  name: string;
  matmul: MatmulCallback;
  /** Counts towards RESULT matmul_gflops. */
  ours: boolean;
  /** Timed in the interleaved rounds (false: timed separately, once per shape, see the JS reference). */
  interleaved: boolean;
  times: number[][];
  gflops: number[];
  maxDiff: number;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}
const rnd = lcg(12345);
const inputs = SHAPES.map(([M, K, N]) => ({
  a: Float32Array.from({ length: M * K }, rnd),
  b: Float32Array.from({ length: K * N }, rnd),
}));
const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const geomean = (xs: number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const rows: Row[] = [];
const disposers: (() => void)[] = [];

/**
 * ---- ADD A BACKEND ROW HERE ------------------------------------------------------------------------------------
 * benchRow(name, matmul) adds a row: `matmul` is timed on every shape and its output compared with the JS
 * reference (max |diff| is printed). It may keep state per input (e.g. device tensors created on first sight of
 * an input array), but each call must compute the whole product. Pass { ours: true } for @saelab/tensor rows
 * (they count towards RESULT matmul_gflops). Register cleanup with disposers.push(...).
 */
function benchRow(name: string, matmul: MatmulCallback, opts: { ours?: boolean; interleaved?: boolean } = {}): void {
  rows.push({
    name, matmul, ours: !!opts.ours, interleaved: opts.interleaved ?? true,
    times: SHAPES.map(() => []), gflops: [], maxDiff: 0,
  });
}
// ------------------------------------------------------------------------------------------------------------------

// 1. Our WebAssembly kernels, 1 and 2 threads.
for (const threads of [1, 2]) {
  const k = await instantiate({ threads });
  disposers.push(() => disposeInstance(k));
  benchRow(`saelab wasm SIMD, ${threadsOf(k)} thread${threadsOf(k) > 1 ? 's' : ''}`,
    (a, b, out, M, K, N) => matmul(k, a, b, out, 1, M, K, N, false, false, false), { ours: true });
}

// 2. @tensorflow/tfjs-backend-wasm in its fastest configuration that runs in Node. Its threaded build cannot:
//    tfjs forces WASM_HAS_MULTITHREAD_SUPPORT to false in Node, and forcing it true fails because the pthread
//    workers are created from blob: URLs, which node's Worker rejects (ERR_WORKER_PATH). So: SIMD, 1 thread.
let tfjsName = '';
try {
  const tf = await import('@tensorflow/tfjs-core');
  const tfw = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  tfw.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const threads = mt ? `${tfw.getThreadsCount()} threads` : '1 thread';
  tfjsName = `tfjs-backend-wasm 4.22, ${simd ? 'SIMD' : 'no SIMD'}, ${threads}`;
  // Operand tensors are created once per input (outside the timing); a timed call is tf.matMul + dataSync()
  // inside tf.tidy, which disposes the product.
  type T2 = import('@tensorflow/tfjs-core').Tensor2D;
  const cache = new Map<Float32Array, { ta: T2; tb: T2 }>();
  benchRow(tfjsName, (a, b, out, M, K, N) => {
    let t = cache.get(a);
    if (!t) cache.set(a, (t = { ta: tf.tensor2d(a, [M, K]), tb: tf.tensor2d(b, [K, N]) }));
    const { ta, tb } = t;
    tf.tidy(() => { out.set(tf.matMul(ta, tb).dataSync() as Float32Array); });
  });
  disposers.push(() => {
    for (const { ta, tb } of cache.values()) { ta.dispose(); tb.dispose(); }
    if (tf.memory().numTensors !== 0) process.stderr.write(`warning: ${tf.memory().numTensors} tfjs tensors leaked\n`);
  });
} catch (e) {
  process.stderr.write(`tfjs-backend-wasm unavailable: ${String(e)}\n`);
}

// 3. Plain JavaScript i-k-j triple loop: the reference output, and a reference row (timed once per big shape).
function jsMatmul(a: Float32Array, b: Float32Array, out: Float32Array, M: number, K: number, N: number): void {
  out.fill(0);
  for (let i = 0; i < M; i++) {
    const o = i * N;
    for (let k = 0; k < K; k++) {
      const aik = a[i * K + k]!;
      const bo = k * N;
      for (let j = 0; j < N; j++) out[o + j]! += aik * b[bo + j]!;
    }
  }
}
benchRow('JS triple loop (i-k-j), reference', jsMatmul, { interleaved: false });

// 4. Our gpujs backend (gpu.js kernels, GLSL shaders in a GL mode): with upload and readback (host arrays in and
//    out on every call), and resident (operands uploaded once, the product left on the GPU, timed until the GPU has
//    finished it; read back on the first call only, for max|diff|). Timed only where gpu.js runs on a GPU: in Node,
//    HeadlessGL under `xvfb-run -a npm run bench`. Not counted in RESULT matmul_gflops, which compares CPU kernels.
{
  const { loadBackend, matmul, tensor, withBackend } = await import('../src/index.js');
  const gpujs = (await loadBackend('gpujs')) as import('../src/index.js').GpujsBackend;
  if (!gpujs.isGpu) {
    process.stderr.write(`gpujs rows skipped: gpu.js runs in ${gpujs.mode} mode here, not on a GPU`
      + ' (in Node: run under xvfb-run -a)\n');
  } else {
    benchRow(`saelab gpujs (${gpujs.mode}), upload + readback`, (a, b, out, M, K, N) => withBackend(gpujs, () => {
      out.set(matmul(tensor(a, [M, K]), tensor(b, [K, N])).toArray());
    }));
    type T = import('../src/index.js').Tensor;
    const resident = new Map<Float32Array, { ta: T; tb: T }>();
    benchRow(`saelab gpujs (${gpujs.mode}), resident`, (a, b, out, M, K, N) => withBackend(gpujs, () => {
      let t = resident.get(a);
      const first = !t;
      if (!t) resident.set(a, (t = { ta: tensor(a, [M, K]), tb: tensor(b, [K, N]) }));
      const product = matmul(t.ta, t.tb);
      if (first) out.set(product.toArray());
      else gpujs.finish();
    }));
    disposers.push(() => gpujs.dispose());
  }
}

// ---- measurement ----------------------------------------------------------------------------------------------
const outs = SHAPES.map(([M, , N]) => new Float32Array(M * N));
const reference: Float32Array[] = [];
const timed = (row: Row, s: number): number => {
  const [M, K, N] = SHAPES[s]!;
  const t0 = performance.now();
  row.matmul(inputs[s]!.a, inputs[s]!.b, outs[s]!, M, K, N);
  return performance.now() - t0;
};

process.stderr.write('JS reference...\n');
const jsRow = rows.find((r) => !r.interleaved)!;
jsMatmul(new Float32Array(64 * 64), new Float32Array(64 * 64), new Float32Array(64 * 64), 64, 64, 64); // JIT warm-up
SHAPES.forEach(([M, K, N], s) => {
  const runs = 2 * M * K * N <= 1e8 ? 3 : 1;
  for (let i = 0; i < runs; i++) jsRow.times[s]!.push(timed(jsRow, s));
  reference[s] = Float32Array.from(outs[s]!);
});

const interleaved = rows.filter((r) => r.interleaved);
process.stderr.write('warm-up...\n');
for (const row of interleaved) {
  SHAPES.forEach((_, s) => {
    for (let i = 0; i < WARMUP; i++) timed(row, s);
    const ref = reference[s]!, out = outs[s]!;
    for (let i = 0; i < out.length; i++) row.maxDiff = Math.max(row.maxDiff, Math.abs(out[i]! - ref[i]!));
  });
}
process.stderr.write(`${ROUNDS} timed rounds...\n`);
await sleep(500);
for (let round = 0; round < ROUNDS; round++) {
  for (let s = 0; s < SHAPES.length; s++) {
    for (let r = 0; r < interleaved.length; r++) {
      const row = interleaved[(r + round) % interleaved.length]!;
      const t = timed(row, s);
      row.times[s]!.push(t);
      await sleep(Math.max(1, t)); // duty cycle <= 50%
    }
  }
}
for (const d of disposers) d();

// ---- report ---------------------------------------------------------------------------------------------------
for (const row of rows) {
  row.gflops = SHAPES.map(([M, K, N], s) => (2 * M * K * N) / (median(row.times[s]!) / 1e3) / 1e9);
}
const labels = SHAPES.map(([M, K, N]) => `${M}x${K}x${N}`);
const nameW = Math.max(...rows.map((r) => r.name.length), 'GFLOP/s   (M x K x N)'.length);
const colW = Math.max(...labels.map((s) => s.length)) + 2;
const line = (name: string, cells: string[], gm: string, diff: string): string =>
  name.padEnd(nameW) + cells.map((c) => c.padStart(colW)).join('') + gm.padStart(9) + diff.padStart(13);
console.log('');
console.log(line('GFLOP/s   (M x K x N)', labels, 'geomean', 'max|diff|'));
for (const r of rows) {
  const diff = r.interleaved ? r.maxDiff.toExponential(1) : '(reference)';
  console.log(line(r.name, r.gflops.map((g) => g.toFixed(1)), geomean(r.gflops).toFixed(1), diff));
}
console.log(`(median of ${ROUNDS} interleaved timed runs per cell after ${WARMUP} warm-up runs;`
  + ' JS row: one run per shape above 1e8 flops, else median of 3)');
const best = rows.filter((r) => r.ours).reduce((x, y) => (geomean(y.gflops) > geomean(x.gflops) ? y : x));
const tfRow = rows.find((r) => r.name === tfjsName);
console.log(`best configuration: ${best.name}${tfRow ? `; compared with: ${tfRow.name}` : ''}`);
console.log(`RESULT matmul_gflops ${geomean(best.gflops).toFixed(2)}`);
console.log(`RESULT matmul_vs_tfjs_wasm ${tfRow ? (geomean(best.gflops) / geomean(tfRow.gflops)).toFixed(3) : 'NaN'}`);
