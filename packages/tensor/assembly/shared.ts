// Elementwise kernels that several threads run together, as gemm does (sync.ts): the range is cut into
// units of UNIT elements claimed from an atomic counter. Unit boundaries are multiples of the vector width,
// so every element sees exactly the arithmetic of a single-threaded pass, whoever computes it.
import { claim, waitFor } from './sync';
import { geluGrad, unary } from './unary';

// @ts-ignore: decorator
@inline const UNIT = 16384;

/** op 0..8: out = the unary op of a (unary.ts codes); op 9: out = b * gelu'(a). ctrl: the work-sharing words
 *  (sync.ts), zeroed except "go". Returns the number of units this thread computed. */
export function mapShared(op: i32, a: usize, b: usize, out: usize, n: i32, ctrl: usize): i32 {
  waitFor(ctrl + 192, 1);
  const U = (n + UNIT - 1) / UNIT;
  let units = 0;
  for (let u = claim(ctrl + 128); u < U; u = claim(ctrl + 128)) {
    const s = u * UNIT, q = <usize>s * 4;
    if (op == 9) geluGrad(a + q, b + q, out + q, min(UNIT, n - s));
    else unary(op, a + q, out + q, min(UNIT, n - s));
    units++;
  }
  return units;
}
