// Float32Arrays that the engine has released (Backend.release: intermediate gradients of a finished backward
// pass), kept by length for reuse as kernel outputs. Why: a new large array is fresh memory from the OS, and
// on a virtual machine each 4 KiB page of it can cost ~10 us to fault in the first time it is written; a
// recycled array is already resident. Outputs drawn from here hold stale values, so only kernels that write
// every element of their output may use them.

/** Arrays shorter than this are cheap to allocate (and may live inside V8's heap): not pooled. */
const MIN_LENGTH = 4096;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly pooled = new Set<Float32Array>();
  private bytes = 0;

  /** maxBytes: the most memory the pool holds on to; releases beyond it are left to the garbage collector. */
  constructor(private readonly maxBytes: number) {}

  /** An array of n floats with arbitrary contents: a released one of that length if any, else a new one. */
  take(n: number): Float32Array {
    const a = this.free.get(n)?.pop();
    if (!a) return new Float32Array(n);
    this.pooled.delete(a);
    this.bytes -= a.byteLength;
    return a;
  }

  /** Keeps `a` for a later take(a.length), if it is worth keeping and fits. */
  give(a: Float32Array): void {
    if (a.length < MIN_LENGTH || this.pooled.has(a) || this.bytes + a.byteLength > this.maxBytes) return;
    let list = this.free.get(a.length);
    if (!list) this.free.set(a.length, (list = []));
    list.push(a);
    this.pooled.add(a);
    this.bytes += a.byteLength;
  }
}
