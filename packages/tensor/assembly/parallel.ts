// Kernels that every thread of one call runs together (sync.ts), on units of work claimed from an atomic counter:
// row-wise ops on runs of rows, reductions on runs of rows or blocks of columns, Adam on runs of parameters. A
// unit is computed by exactly the code a single-threaded call runs on the same rows, columns or elements (each is
// independent of the others), so who computes a unit never changes a bit. (Plain elementwise ops are not shared:
// they are memory-bound, and on the 2-core machines a second thread made them no faster, 65k to 690k elements.)
//
// The call's arguments are i32 slots (f32 where noted) at `args`, written by the JS side (wasm/shared.ts),
// because helper threads receive only integers; `per` is the elements, rows or columns of one unit.
import { adam } from './adam';
import { layerNorm, layerNormGrad } from './norm';
import { reduceColumns } from './reduce';
import { softmax, softmaxGrad } from './softmax';
import { claim, waitFor } from './sync';

// The kinds of call, and their argument slots.
// @ts-ignore: decorator
@inline const LAYER_NORM = 0; // x, out, rows, d, eps (f32), per (rows)
// @ts-ignore: decorator
@inline const LAYER_NORM_GRAD = 1; // x, g, out, rows, d, eps (f32), per (rows)
// @ts-ignore: decorator
@inline const SOFTMAX = 2; // x, out, rows, n, per (rows)
// @ts-ignore: decorator
@inline const SOFTMAX_GRAD = 3; // y, g, out, rows, n, per (rows)
// @ts-ignore: decorator
@inline const REDUCE = 4; // op, a, out, outer, n, inner, per (rows of [outer, n] if inner is 1, else columns), acc
// @ts-ignore: decorator
@inline const ADAM = 5; // p, g, m, v, n, per (elements, a multiple of 4), b1 1-b1 b2 1-b2 eps stepSize bc2sqrt decay l2 (f32)

// @ts-ignore: decorator
@inline function arg(args: usize, i: i32): i32 {
  return load<i32>(args + <usize>i * 4);
}

// @ts-ignore: decorator
@inline function argF(args: usize, i: i32): f32 {
  return load<f32>(args + <usize>i * 4);
}

// @ts-ignore: decorator
@inline function ptr(args: usize, i: i32): usize {
  return <usize>load<u32>(args + <usize>i * 4);
}

/** Unit u of a call of `kind`. */
function unit(kind: i32, args: usize, u: i32): void {
  switch (kind) {
    case LAYER_NORM: {
      const rows = arg(args, 2), d = arg(args, 3), per = arg(args, 5), r = u * per, q = <usize>r * <usize>d * 4;
      layerNorm(ptr(args, 0) + q, ptr(args, 1) + q, min(per, rows - r), d, argF(args, 4));
      break;
    }
    case LAYER_NORM_GRAD: {
      const rows = arg(args, 3), d = arg(args, 4), per = arg(args, 6), r = u * per, q = <usize>r * <usize>d * 4;
      layerNormGrad(ptr(args, 0) + q, ptr(args, 1) + q, ptr(args, 2) + q, min(per, rows - r), d, argF(args, 5));
      break;
    }
    case SOFTMAX: {
      const rows = arg(args, 2), n = arg(args, 3), per = arg(args, 4), r = u * per, q = <usize>r * <usize>n * 4;
      softmax(ptr(args, 0) + q, ptr(args, 1) + q, min(per, rows - r), n);
      break;
    }
    case SOFTMAX_GRAD: {
      const rows = arg(args, 3), n = arg(args, 4), per = arg(args, 5), r = u * per, q = <usize>r * <usize>n * 4;
      softmaxGrad(ptr(args, 0) + q, ptr(args, 1) + q, ptr(args, 2) + q, min(per, rows - r), n);
      break;
    }
    case ADAM: {
      const n = arg(args, 4), per = arg(args, 5), s = u * per, q = <usize>s * 4;
      adam(ptr(args, 0) + q, ptr(args, 1) + q, ptr(args, 2) + q, ptr(args, 3) + q, min(per, n - s), argF(args, 6),
        argF(args, 7), argF(args, 8), argF(args, 9), argF(args, 10), argF(args, 11), argF(args, 12), argF(args, 13), argF(args, 14));
      break;
    }
    default: { // REDUCE
      const op = arg(args, 0), outer = arg(args, 3), n = arg(args, 4), inner = arg(args, 5), per = arg(args, 6);
      if (inner == 1) {
        const r = u * per;
        reduceColumns(op, ptr(args, 1) + <usize>r * <usize>n * 4, ptr(args, 2) + <usize>r * 4, min(per, outer - r), n, 1, 1, 0);
      } else {
        const blocks = (inner + per - 1) / per, o = u / blocks, j = (u - o * blocks) * per;
        const from = ptr(args, 1) + (<usize>o * <usize>n * <usize>inner + <usize>j) * 4;
        const at = <usize>o * <usize>inner + <usize>j; // this unit's columns: its own outputs and running sums
        reduceColumns(op, from, ptr(args, 2) + at * 4, 1, n, inner, min(per, inner - j), ptr(args, 7) + at * 8);
      }
    }
  }
}

/** Runs units 0..units-1 of a call of `kind` (see above) with the other threads of the call. ctrl: the
 *  work-sharing words (sync.ts), zeroed except "go". Returns the number of units this thread computed. */
export function parallel(kind: i32, args: usize, units: i32, ctrl: usize): i32 {
  waitFor(ctrl + 192, 1);
  let done = 0;
  for (let u = claim(ctrl + 128); u < units; u = claim(ctrl + 128)) {
    unit(kind, args, u);
    done++;
  }
  return done;
}
