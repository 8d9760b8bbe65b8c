// Work sharing between the threads that run one gemm() or mapShared() call together (gemm.ts, shared.ts).
//
// Threads running the same call share four i32 words at `ctrl` (each on its own 64-byte line):
//   ctrl+0   next pack unit to claim      ctrl+64  pack units finished      ctrl+128 next compute unit to claim
//   ctrl+192 "go": set to 1 once the operands are in place (the JS side wakes the workers first and copies the
//            inputs while they start up; a worker that arrives early spins here for that short copy).
// Work is claimed dynamically, so a thread that starts late or runs slow simply does fewer units. Which thread
// computes a unit never changes the arithmetic of any output element (gemm's KC is fixed by K alone), so results
// are bit-identical for any number of threads. The single-threaded build (no atomics) uses plain loads/stores.

// @ts-ignore: decorator
@inline export function claim(p: usize): i32 {
  if (ASC_FEATURE_THREADS) return atomic.add<i32>(p, 1);
  const v = load<i32>(p);
  store<i32>(p, v + 1);
  return v;
}

/** Wait until the i32 at p reaches total: spin briefly (the others are busy with one short pack unit each),
 *  then block in atomic.wait, so that a thread whose partner was descheduled does not burn the CPU the partner
 *  needs (this machine class may have fewer free cores than threads). Writers call done(). */
export function waitFor(p: usize, total: i32): void {
  if (ASC_FEATURE_THREADS) {
    for (let i = 0; i < 1 << 17; i++) if (atomic.load<i32>(p) >= total) return; // ~0.1 ms
    for (;;) {
      const v = atomic.load<i32>(p);
      if (v >= total) return;
      atomic.wait<i32>(p, v, 1000000); // 1 ms timeout: belt and braces
    }
  }
}

/** Add 1 to the i32 at p and wake whoever waits on it. */
// @ts-ignore: decorator
@inline export function done(p: usize): void {
  if (ASC_FEATURE_THREADS) {
    atomic.add<i32>(p, 1);
    atomic.notify(p);
  } else {
    store<i32>(p, load<i32>(p) + 1);
  }
}
