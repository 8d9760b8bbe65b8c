// Bit-identity check for the wasm matmul: runs many products (plain, transposed, with bias, batched, broadcast,
// odd edge sizes, the model's shapes) on seeded inputs and prints a SHA-256 of every output's bytes, for the
// default wasm backend (2 threads in Node) and a 1-thread one. Run it before and after changing the GEMM kernels
// (assembly/gemm.ts, pack.ts, small.ts, src/backends/wasm/gemm.ts) and diff the outputs: any change in the order
// of the float operations of any output element shows up as a different hash.
//   Run: npx tsx bench/gemm-hash.mts > before.txt   (from packages/tensor)
import { createHash } from 'node:crypto';
import { Rng, matmul, normal, setBackend, withBackend, type Backend, type Shape } from '../src/index.js';
import { createWasmBackend } from '../src/backends/wasm.js';

interface Case { a: Shape; b: Shape; transA?: boolean; transB?: boolean; bias?: boolean }

const cases: Case[] = [];
// 2-D products over odd edge sizes, every transpose combination, with and without bias.
const sizes: [number, number, number][] = [
  [1, 1, 1], [1, 7, 13], [5, 8, 8], [7, 5, 13], [13, 21, 7], [21, 32, 21], [127, 129, 5], [129, 127, 131],
  [5, 513, 9], [40, 1000, 41], [513, 64, 127], [1000, 13, 1000], [48, 48, 48], [49, 256, 47], [47, 257, 49],
  [64, 600, 200], [200, 1100, 64], [1, 1025, 300], [300, 129, 1], [130, 2000, 17],
];
for (const [M, K, N] of sizes) {
  for (let t = 0; t < 4; t++) {
    const transA = (t & 1) !== 0, transB = (t & 2) !== 0;
    const a: Shape = transA ? [K, M] : [M, K], b: Shape = transB ? [N, K] : [K, N];
    cases.push({ a, b, transA, transB, bias: t === 0 || t === 2 });
    if (t === 1 || t === 3) cases.push({ a, b, transA, transB, bias: true });
  }
}
// The models' shapes: SAE encoder and decoder, transformer linears forward / dX / dW.
cases.push({ a: [256, 128], b: [1024, 128], transB: true, bias: true });
cases.push({ a: [256, 1024], b: [1024, 128] });
cases.push({ a: [256, 128], b: [256, 1024], transA: true });
const linears: [number, number, number][] = [
  [5376, 128, 384], [5376, 128, 128], [5376, 128, 512], [5376, 512, 128], [2560, 128, 512], [2560, 512, 128],
];
for (const [rows, din, dout] of linears) {
  cases.push({ a: [rows, din], b: [din, dout], bias: true }); // forward
  cases.push({ a: [rows, dout], b: [din, dout], transB: true }); // dX = dY W^T
  cases.push({ a: [rows, din], b: [rows, dout], transA: true }); // dW = X^T dY
}
// Batched (both operands batched) and broadcast (one B for every batch), the attention shapes among them.
cases.push({ a: [1024, 21, 32], b: [1024, 32, 21] });
cases.push({ a: [1024, 21, 21], b: [1024, 21, 32] });
cases.push({ a: [1024, 21, 32], b: [1024, 21, 32], transB: true });
cases.push({ a: [1024, 21, 21], b: [1024, 21, 32], transA: true });
cases.push({ a: [3, 13, 7], b: [3, 13, 5], transA: true, bias: true });
cases.push({ a: [4, 7, 13], b: [13, 5], bias: true });
cases.push({ a: [2, 3, 129, 65], b: [65, 127] });
cases.push({ a: [6, 129, 65], b: [6, 127, 65], transB: true, bias: true });
cases.push({ a: [5, 600, 70], b: [5, 600, 90], transA: true });
cases.push({ a: [4, 70, 130], b: [130, 300], bias: true });

function run(backend: Backend, label: string): string[] {
  return withBackend(backend, () => cases.map((c, i) => {
    const rng = new Rng(`gemm-hash/${i}`);
    const a = normal(c.a, rng), b = normal(c.b, rng);
    const N = c.transB ? c.b.at(-2)! : c.b.at(-1)!;
    const bias = c.bias ? normal([N], rng) : undefined;
    const out = matmul(a, b, { transA: c.transA, transB: c.transB, bias }).toArray() as Float32Array;
    const h = createHash('sha256').update(new Uint8Array(out.buffer, out.byteOffset, out.byteLength)).digest('hex');
    const desc = `${JSON.stringify(c.a)}${c.transA ? 'T' : ''} @ ${JSON.stringify(c.b)}${c.transB ? 'T' : ''}`
      + (c.bias ? ' +bias' : '');
    return `${label} ${String(i).padStart(3)} ${h.slice(0, 16)} ${desc}`;
  }));
}

const wasm2 = await setBackend('wasm');
const wasm1 = await createWasmBackend({ threads: 1 });
const lines = [...run(wasm2, 'default'), ...run(wasm1, '1thread')];
for (const l of lines) console.log(l);
const same = lines.slice(0, cases.length).every((l, i) => l.slice(8, 29) === lines[cases.length + i]!.slice(8, 29));
console.log(`${cases.length} cases x 2 backends; 1 thread ${same ? 'matches' : 'DIFFERS FROM'} the default threads`);
console.log(`total ${createHash('sha256').update(lines.join('\n')).digest('hex')}`);
wasm1.dispose?.();
wasm2.dispose?.();
