// The kernels' linear memory as a heap of blocks. Why: a kernel can only read and write its own memory, so an
// operand that lives in a JavaScript Float32Array must be copied in before the call and its result copied out
// after (about a gigabyte per transformer training step). Storage that lives in the linear memory itself, as a
// Float32Array view of its block, is used where it lies: the wrappers pass its address instead of copying.
//
// Blocks are cache-line aligned, with 16 spare bytes after each (a vector load just past an operand's end stays
// inside), and come from free lists kept per size, else from the top of the heap, which grows the memory. Sizes
// repeat from one training step to the next, so after the first step almost every block is recycled memory,
// already resident: no page faults. A block comes back when the engine releases its storage (Backend.release)
// or, for every other tensor, when the garbage collector has collected its view (a FinalizationRegistry;
// JavaScript runs those callbacks between tasks, which is why training loops `await releaseMemory()` per step).
//
// The garbage collector does not know that a small view holds a large block, so left alone it may run too
// rarely to give blocks back before the heap has grown far. The heap therefore asks for a collection (in Node;
// see loader.ts) once COLLECT_EVERY bytes are out that nobody released: a full collection takes 10-20 ms here,
// and its blocks come back before the next task (the training step after). Loops that release their tensors
// (tidy()) never pay for one.
//
// Views are handed out only on a shared memory, and only where the heap can run the collector (Node). A growing
// shared memory keeps its old buffers valid (each view keeps the length it was made with), but growing an
// ordinary memory detaches its buffer and every view into it. Elsewhere (browsers) the heap only gives the
// kernels scratch space, and tensors are ordinary arrays copied in and out.

/** Rounds a byte count up to a cache line. (No bit operations: offsets may exceed 2^31.) */
export const align64 = (x: number): number => Math.ceil(x / 64) * 64;

/** Bytes a block of n floats takes: the floats, 16 spare bytes, rounded up to a cache line. */
export const blockBytes = (floats: number): number => align64(floats * 4 + 16);

/** The most linear memory views may occupy by default; beyond it, storage falls back to ordinary arrays. */
const VIEW_LIMIT_BYTES = 2 * 1024 * 1024 * 1024;
/** Bytes of views handed out between two requested collections. */
const COLLECT_EVERY = 256 * 1024 * 1024;

export class WasmHeap {
  private top: number;
  /** Free blocks by byte size: their addresses. */
  private readonly free = new Map<number, number[]>();
  /** The blocks behind live views: view -> its block's byte size. */
  private readonly blocks = new WeakMap<Float32Array, number>();
  /** Every buffer the memory has had: a Float32Array on one of them lives in the linear memory. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** Gives back the block of a view the garbage collector has collected (the held value: [address, bytes]). */
  private readonly collected = new FinalizationRegistry<[number, number]>(([addr, bytes]) => this.give(addr, bytes));
  private f32: Float32Array;
  /** Bytes of views handed out since the last requested collection, less those released since. */
  private sinceCollect = 0;

  /** memory: the kernels' memory; base: the first free byte (above the module's static data); maxBytes: the
   *  most the memory may grow to; views: whether view() may hand out storage (see above);
   *  collect: runs the garbage collector, where the platform lets us, once collectEvery bytes of views are out
   *  that have not been released (views released explicitly, as tidy() does, never ask for it). */
  constructor(private readonly memory: WebAssembly.Memory, base: number, private readonly maxBytes: number,
    readonly views: boolean, private readonly collect?: () => void,
    private readonly viewLimit = Math.min(maxBytes, VIEW_LIMIT_BYTES), private readonly collectEvery = COLLECT_EVERY) {
    this.top = align64(base);
    this.f32 = this.refresh();
  }

  /** A float32 view of the whole memory as it is now (a new one after the memory has grown). */
  whole(): Float32Array {
    return this.f32.buffer === this.memory.buffer ? this.f32 : (this.f32 = this.refresh());
  }

  /** The byte address of a's first element if a lives in this memory, else -1. */
  addressOf(a: Float32Array): number {
    return this.buffers.has(a.buffer) ? a.byteOffset : -1;
  }

  /** Reserves `bytes` (a multiple of 64) and returns the block's address; throws when the memory is full. */
  take(bytes: number): number {
    const recycled = this.free.get(bytes)?.pop();
    if (recycled !== undefined) return recycled;
    const addr = this.top;
    this.grow(addr + bytes);
    this.top = addr + bytes;
    return addr;
  }

  /** Returns a block from take() for reuse. */
  give(addr: number, bytes: number): void {
    let list = this.free.get(bytes);
    if (!list) this.free.set(bytes, (list = []));
    list.push(addr);
  }

  /** A Float32Array of n floats living in the linear memory, with stale contents; undefined where views are not
   *  allowed or the heap has reached its limit (the caller then makes an ordinary array). */
  view(n: number): Float32Array | undefined {
    const bytes = blockBytes(n);
    if (!this.views || (!this.free.get(bytes)?.length && this.top + bytes > this.viewLimit)) return undefined;
    this.sinceCollect += bytes;
    if (this.collect && this.sinceCollect > this.collectEvery) {
      this.sinceCollect = 0;
      this.collect();
    }
    const addr = this.take(bytes);
    const v = new Float32Array(this.memory.buffer, addr, n);
    this.buffers.add(v.buffer);
    this.blocks.set(v, bytes);
    this.collected.register(v, [addr, bytes], v);
    return v;
  }

  /** Takes back the block of a view from view() now (the engine will never read it again); false if `a` is not
   *  such a view or was already given back. */
  release(a: Float32Array): boolean {
    const bytes = this.blocks.get(a);
    if (bytes === undefined) return false;
    this.blocks.delete(a);
    this.collected.unregister(a);
    this.give(a.byteOffset, bytes);
    this.sinceCollect = Math.max(0, this.sinceCollect - bytes); // back without the collector's help
    return true;
  }

  /** Grows the memory (by at least 1/8, to avoid many small grows) until it holds `end` bytes. */
  private grow(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    if (end > this.maxBytes) {
      throw new RangeError(`wasm kernels: ${end} bytes of wasm memory needed,`
        + ` more than the ${this.maxBytes} available`);
    }
    const want = Math.min(this.maxBytes, Math.max(end, have + Math.floor(have / 8)));
    this.memory.grow(Math.ceil((want - have) / 65536));
  }

  private refresh(): Float32Array {
    this.buffers.add(this.memory.buffer);
    return new Float32Array(this.memory.buffer);
  }
}
