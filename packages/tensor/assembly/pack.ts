// Packing for the GEMM (gemm.ts): copies blocks of op(A) and op(B) into the panel layouts the 4x8 micro-kernel
// streams through, so that its inner loop reads memory strictly sequentially whatever the transposes.

// The micro-kernel's tile: MR rows of A by NR columns of B (8 f32x4 accumulators).
// @ts-ignore: decorator
@inline export const MR: i32 = 4;
// @ts-ignore: decorator
@inline export const NR: i32 = 8;

/** Pack rows [ic, ic+mc) x k [pc, pc+kc) of op(A) into MR-row panels: panel p holds, for each k, the MR values
 *  op(A)[ic + p*MR + r][pc + k], r = 0..MR-1 (zero-padded past mc). A is [M, K] or, when transA, [K, M]. */
export function packA(A: usize, ap: usize, M: i32, K: i32, transA: bool, ic: i32, mc: i32, pc: i32, kc: i32): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    let dst = ap + <usize>(ir * kc) * 4;
    if (!transA) {
      const lda = <usize>K * 4;
      const r0 = A + (<usize>(ic + ir) * <usize>K + <usize>pc) * 4;
      if (mr == MR) {
        const r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k * 4;
          const v0 = v128.load(r0 + o), v1 = v128.load(r1 + o), v2 = v128.load(r2 + o), v3 = v128.load(r3 + o);
          const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
          const t1 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
          const t2 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
          const t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
          v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
          v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
          v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
          v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
          dst += 64;
        }
        for (; k < kc; k++) {
          const o = <usize>k * 4;
          store<f32>(dst, load<f32>(r0 + o), 0);
          store<f32>(dst, load<f32>(r1 + o), 4);
          store<f32>(dst, load<f32>(r2 + o), 8);
          store<f32>(dst, load<f32>(r3 + o), 12);
          dst += 16;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < MR; r++) {
            store<f32>(dst + <usize>r * 4, r < mr ? load<f32>(r0 + <usize>r * lda + <usize>k * 4) : <f32>0);
          }
          dst += MR * 4;
        }
      }
    } else {
      const lda = <usize>M * 4;
      let src = A + (<usize>pc * <usize>M + <usize>(ic + ir)) * 4;
      if (mr == MR) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src));
          src += lda;
          dst += 16;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < MR; r++) {
            store<f32>(dst + <usize>r * 4, r < mr ? load<f32>(src + <usize>r * 4) : <f32>0);
          }
          src += lda;
          dst += MR * 4;
        }
      }
    }
  }
}

/** Pack k [pc, pc+kc) x columns [jc, jc+nc) of op(B) into NR-column panels: panel q holds, for each k, the NR
 *  values op(B)[pc + k][jc + q*NR + j] (zero-padded past nc). B is [K, N] or, when transB, [N, K]. */
export function packB(B: usize, bp: usize, K: i32, N: i32, transB: bool, pc: i32, kc: i32, jc: i32, nc: i32): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    let dst = bp + <usize>(jr * kc) * 4;
    if (!transB) {
      const ldb = <usize>N * 4;
      let src = B + (<usize>pc * <usize>N + <usize>(jc + jr)) * 4;
      if (nr == NR) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += ldb;
          dst += 32;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(dst + <usize>j * 4, j < nr ? load<f32>(src + <usize>j * 4) : <f32>0);
          }
          src += ldb;
          dst += 32;
        }
      }
    } else {
      const ldb = <usize>K * 4;
      const r0 = B + (<usize>(jc + jr) * <usize>K + <usize>pc) * 4;
      if (nr == NR) {
        const r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb, r4 = r3 + ldb, r5 = r4 + ldb, r6 = r5 + ldb, r7 = r6 + ldb;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k * 4;
          let v0 = v128.load(r0 + o), v1 = v128.load(r1 + o), v2 = v128.load(r2 + o), v3 = v128.load(r3 + o);
          let t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
          let t1 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
          let t2 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
          let t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
          v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5), 0);
          v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 32);
          v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 64);
          v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 96);
          v0 = v128.load(r4 + o); v1 = v128.load(r5 + o); v2 = v128.load(r6 + o); v3 = v128.load(r7 + o);
          t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
          t1 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
          t2 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
          t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
          v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5), 16);
          v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 48);
          v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 80);
          v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 112);
          dst += 128;
        }
        for (; k < kc; k++) {
          const o = <usize>k * 4;
          store<f32>(dst, load<f32>(r0 + o), 0);
          store<f32>(dst, load<f32>(r1 + o), 4);
          store<f32>(dst, load<f32>(r2 + o), 8);
          store<f32>(dst, load<f32>(r3 + o), 12);
          store<f32>(dst, load<f32>(r4 + o), 16);
          store<f32>(dst, load<f32>(r5 + o), 20);
          store<f32>(dst, load<f32>(r6 + o), 24);
          store<f32>(dst, load<f32>(r7 + o), 28);
          dst += 32;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(dst + <usize>j * 4, j < nr ? load<f32>(r0 + <usize>j * ldb + <usize>k * 4) : <f32>0);
          }
          dst += 32;
        }
      }
    }
  }
}

