// Where a kernel call finds its operands. Storage that lives in the linear memory (views from heap.ts) is used
// where it lies. Everything else is laid out in the arena, one scratch block of the heap that each call reuses
// from its start: inputs copied in, the kernel run, results copied out. The block grows to the largest single
// call's need, and elementwise kernels stream ordinary arrays through in chunks, so most calls need little.
import { align64, WasmHeap } from './heap.js';

export { align64 } from './heap.js';

/** Elementwise kernels stream ordinary arrays through the arena in chunks of this many floats. */
export const CHUNK = 32 * 1024;

/** An operand of a kernel call: n floats the kernel reads from `input` or writes to `output`, or a number: that
 *  many floats of scratch space. */
export type Slot = { input: Float32Array; n: number } | { output: Float32Array; n: number } | number;

export const input = (a: Float32Array, n = a.length): Slot => ({ input: a, n });
export const output = (a: Float32Array, n = a.length): Slot => ({ output: a, n });

/** The operands' byte addresses, and the copies needed for those that do not live in the memory. */
export interface Placed {
  at: number[];
  copyIn(): void;
  copyOut(): void;
}

export class Arena {
  private scratch = 0;
  private scratchBytes = 0;
  disposed = false;

  constructor(readonly heap: WasmHeap) {}

  /** Makes sure `bytes` of scratch exist; returns the float32 view of the whole memory. */
  ensure(bytes: number): Float32Array {
    if (this.disposed) throw new Error('wasm kernels: used after dispose()');
    if (bytes > this.scratchBytes) {
      // Grow by at least 1/8, so that slowly rising needs do not take a new block every call.
      const want = align64(Math.max(bytes, this.scratchBytes + this.scratchBytes / 8));
      if (this.scratchBytes > 0) this.heap.give(this.scratch, this.scratchBytes);
      this.scratch = this.heap.take(want);
      this.scratchBytes = want;
    }
    return this.heap.whole();
  }

  /** Reserves consecutive cache-line-aligned regions of the given sizes in floats (or int32s); returns their
   *  byte addresses, after making sure the memory holds them all. */
  layout(...floats: number[]): number[] {
    const offsets: number[] = [];
    let at = 0;
    for (const n of floats) {
      offsets.push(at);
      at += align64(n * 4 + 16); // 16 spare bytes: a vector load just past the end stays inside
    }
    this.ensure(at);
    return offsets.map((o) => this.scratch + o);
  }

  /** True when every array lives in the memory (no copies needed). */
  resident(...arrays: Float32Array[]): boolean {
    return arrays.every((a) => this.heap.addressOf(a) >= 0);
  }

  /** The byte address of a resident array (see resident()). */
  addressOf(a: Float32Array): number {
    return this.heap.addressOf(a);
  }

  /** Lays out a call's operands: a resident input or output is used in place, the rest get arena regions. */
  place(slots: readonly Slot[]): Placed {
    const own = slots.map((s) => (typeof s === 'number' ? -1 : this.heap.addressOf('input' in s ? s.input : s.output)));
    const regions = this.layout(...slots.map((s, i) => (typeof s === 'number' ? s : own[i]! >= 0 ? 0 : s.n)));
    const at = regions.map((r, i) => (own[i]! >= 0 ? own[i]! : r));
    const copied = slots.flatMap((s, i) => (typeof s !== 'number' && own[i]! < 0 ? [{ s, addr: at[i]! }] : []));
    return {
      at,
      copyIn: () => { for (const { s, addr } of copied) if ('input' in s) this.put(addr, s.input, s.n); },
      copyOut: () => { for (const { s, addr } of copied) if ('output' in s) this.read(addr, s.n, s.output); },
    };
  }

  /** Copies `data` (its first `count` values) into the memory at byte address `addr`. */
  put(addr: number, data: Float32Array, count = data.length): void {
    this.heap.whole().set(count === data.length ? data : data.subarray(0, count), addr >>> 2);
  }

  /** Writes int32 values at byte address `addr` (shapes and strides for the kernels). */
  putInts(addr: number, values: readonly number[]): void {
    new Int32Array(this.heap.whole().buffer).set(values, addr >>> 2);
  }

  /** Copies the `count` floats at `addr` into `into` from index `at`. */
  read(addr: number, count: number, into: Float32Array, at = 0): void {
    const f32 = this.heap.whole();
    into.set(f32.subarray(addr >>> 2, (addr >>> 2) + count), at);
  }
}
