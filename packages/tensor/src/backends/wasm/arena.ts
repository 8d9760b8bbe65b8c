// The kernels' linear memory, used as an arena: every call lays out its operands from the bottom (just above
// the module's static data), copies its inputs in, runs, and copies its results out; the next call starts
// over. The memory only grows (geometrically, up to its maximum) to the largest single call's need, and
// elementwise kernels stream long arrays through in chunks, so most calls need little of it.

/** Elementwise kernels stream their operands through the arena in chunks of this many floats. */
export const CHUNK = 32 * 1024;

/** Rounds a byte count up to a cache line. (No bit operations: offsets may exceed 2^31.) */
export const align64 = (x: number): number => Math.ceil(x / 64) * 64;

export class Arena {
  /** Byte address where the arena starts. */
  readonly base: number;
  private f32: Float32Array;
  private i32: Int32Array;
  disposed = false;

  constructor(private readonly memory: WebAssembly.Memory, heapBase: number, private readonly maxBytes: number) {
    this.base = align64(heapBase);
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
  }

  /** Makes sure bytes [base, base + bytes) exist; returns the float32 view of the whole memory. */
  ensure(bytes: number): Float32Array {
    if (this.disposed) throw new Error('wasm kernels: used after dispose()');
    const need = this.base + bytes;
    let have = this.memory.buffer.byteLength;
    if (need > have) {
      if (need > this.maxBytes) {
        throw new RangeError(`wasm kernels: a call needs ${need} bytes of wasm memory, more than the ${this.maxBytes} available`);
      }
      // Grow by at least 1/8 to avoid many small grows.
      const want = Math.min(this.maxBytes, Math.max(need, have + Math.floor(have / 8)));
      this.memory.grow(Math.ceil((want - have) / 65536));
      have = this.memory.buffer.byteLength;
    }
    // A grown memory has a new buffer (and a non-shared one detaches the old): refresh the views.
    if (this.f32.buffer !== this.memory.buffer || this.f32.byteLength !== have) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
    return this.f32;
  }

  /** Reserves consecutive cache-line-aligned regions of the given sizes in floats (or int32s); returns their
   *  byte addresses, after making sure the memory holds them all. */
  layout(...floats: number[]): number[] {
    const addrs: number[] = [];
    let at = this.base;
    for (const n of floats) {
      addrs.push(at);
      at += align64(n * 4 + 16); // 16 spare bytes: a vector load just past the end stays inside
    }
    this.ensure(at - this.base);
    return addrs;
  }

  /** Copies `data` (its first `count` values) into the arena at byte address `addr`. */
  put(addr: number, data: Float32Array, count = data.length): void {
    this.f32.set(count === data.length ? data : data.subarray(0, count), addr >>> 2);
  }

  /** Writes int32 values at byte address `addr` (shapes and strides for the kernels). */
  putInts(addr: number, values: readonly number[]): void {
    this.i32.set(values, addr >>> 2);
  }

  /** Copies the `count` floats at `addr` into `into` from index `at`. */
  read(addr: number, count: number, into: Float32Array, at = 0): void {
    into.set(this.f32.subarray(addr >>> 2, (addr >>> 2) + count), at);
  }
}
