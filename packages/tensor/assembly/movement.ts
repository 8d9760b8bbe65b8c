// Movement: one strided copy serves permute, expand, slice and pad. The JS side (src/backends/wasm/strided.ts)
// merges axes and describes the copy as: for every index (i_0, ..., i_{r-1}) of dims, copy `run` floats from
// src + sum i_a sStride[a] (stepping runStride: 1 contiguous, 0 a broadcast value, else a gather) to the
// contiguous dst + sum i_a dStride[a]. Strides are in floats; dims and strides are i32 arrays in memory.

/** Copies one run of `run` floats from s (stride runStride) to the contiguous d. */
// @ts-ignore: decorator
@inline function copyRun(s: usize, d: usize, run: i32, runStride: i32): void {
  if (runStride == 1) {
    if (run >= 64) {
      memory.copy(d, s, <usize>run * 4);
      return;
    }
    let c = 0;
    for (; c + 4 <= run; c += 4) v128.store(d + <usize>c * 4, v128.load(s + <usize>c * 4));
    for (; c < run; c++) store<f32>(d + <usize>c * 4, load<f32>(s + <usize>c * 4));
  } else if (runStride == 0) {
    const x = load<f32>(s);
    const v = f32x4.splat(x);
    let c = 0;
    for (; c + 4 <= run; c += 4) v128.store(d + <usize>c * 4, v);
    for (; c < run; c++) store<f32>(d + <usize>c * 4, x);
  } else {
    const step = <usize>runStride * 4;
    for (let c = 0; c < run; c++) store<f32>(d + <usize>c * 4, load<f32>(s + <usize>c * step));
  }
}

/** The strided copy described above; counter is scratch for rank i32s. */
export function strided(src: usize, dst: usize, rank: i32, dims: usize, sStride: usize, dStride: usize,
  run: i32, runStride: i32, counter: usize): void {
  let total = 1;
  for (let a = 0; a < rank; a++) {
    total *= load<i32>(dims + <usize>a * 4);
    store<i32>(counter + <usize>a * 4, 0);
  }
  let s = src, d = dst;
  for (let it = 0; it < total; it++) {
    copyRun(s, d, run, runStride);
    // Advance the row-major counter, moving s and d along.
    for (let a = rank - 1; a >= 0; a--) {
      const o = <usize>a * 4;
      const i = load<i32>(counter + o) + 1;
      const ss = <usize>load<i32>(sStride + o) * 4, ds = <usize>load<i32>(dStride + o) * 4;
      if (i < load<i32>(dims + o)) {
        store<i32>(counter + o, i);
        s += ss;
        d += ds;
        break;
      }
      store<i32>(counter + o, 0);
      s -= <usize>(i - 1) * ss;
      d -= <usize>(i - 1) * ds;
    }
  }
}
