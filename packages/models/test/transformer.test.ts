/**
 * The transformer against an independent float64 computation written out by hand, the output
 * window against the full pass, and a finite-difference check of the whole model's gradient.
 */
import { describe, expect, it } from 'vitest';
import { Adam, loadBackend, Rng, sum, tensor, withBackend, type Tensor } from '@saelab/tensor';
import { Transformer, type TransformerConfig } from '../src/index.js';

const tiny: TransformerConfig = { nLayers: 2, dModel: 8, nHeads: 2, dHead: 4, dMlp: 16, dVocab: 7, nCtx: 5 };
const tokens = [[1, 4, 0, 6, 2], [3, 3, 5, 0, 1]];

/** The model's parameters as plain float64 arrays, by name. */
function weights(model: Transformer): Map<string, number[]> {
  return new Map(model.namedParameters().map(([n, p]) => [n, Array.from(p.toArray())]));
}

/** An independent forward pass: plain loops, one head at a time, float64. Returns logits [B][T][V]. */
function handForward(w: Map<string, number[]>, cfg: TransformerConfig, toks: number[][]): number[][][] {
  const D = cfg.dModel;
  const W = (name: string) => w.get(name)!;
  // x [rows] @ M [rows, cols] -> [cols]
  const matvec = (x: number[], M: number[], cols: number) =>
    Array.from({ length: cols }, (_, j) => x.reduce((acc, xi, i) => acc + xi * M[i * cols + j]!, 0));
  const ln = (x: number[], g: number[], b: number[]) => {
    const mu = x.reduce((a, v) => a + v, 0) / x.length;
    const va = x.reduce((a, v) => a + (v - mu) ** 2, 0) / x.length;
    return x.map((v, i) => ((v - mu) / Math.sqrt(va + 1e-5)) * g[i]! + b[i]!);
  };
  const erf = (x: number) => { // Abramowitz-Stegun 7.1.26 would be too coarse; use the series
    let term = x, s = x;
    for (let n = 1; n < 60; n++) { term *= (-x * x) / n; s += term / (2 * n + 1); }
    return (2 / Math.sqrt(Math.PI)) * s;
  };
  return toks.map((seq) => {
    let resid = seq.map((t, p) => Array.from({ length: D }, (_, i) => W('W_E')[t * D + i]! + W('W_pos')[p * D + i]!));
    for (let l = 0; l < cfg.nLayers; l++) {
      const pre = `blocks.${l}.`;
      const x = resid.map((r) => ln(r, W(`${pre}ln1.w`), W(`${pre}ln1.b`)));
      const proj = (name: string, bias: string) => x.map((r) => matvec(r, W(pre + name), cfg.nHeads * cfg.dHead)
        .map((v, i) => v + W(pre + bias)[i]!));
      const q = proj('attn.W_Q', 'attn.b_Q'); const k = proj('attn.W_K', 'attn.b_K');
      const v = proj('attn.W_V', 'attn.b_V');
      const z = seq.map(() => new Array<number>(cfg.nHeads * cfg.dHead).fill(0));
      for (let h = 0; h < cfg.nHeads; h++) {
        const o = h * cfg.dHead;
        for (let p = 0; p < seq.length; p++) {
          const scores = Array.from({ length: p + 1 }, (_, t) => {
            let s = 0;
            for (let i = 0; i < cfg.dHead; i++) s += q[p]![o + i]! * k[t]![o + i]!;
            return s / Math.sqrt(cfg.dHead);
          });
          const m = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - m));
          const tot = e.reduce((a, b) => a + b, 0);
          for (let t = 0; t <= p; t++) {
            for (let i = 0; i < cfg.dHead; i++) z[p]![o + i]! += (e[t]! / tot) * v[t]![o + i]!;
          }
        }
      }
      const mid = resid.map((r, p) => r.map((val, i) => val + matvec(z[p]!, W(`${pre}attn.W_O`), D)[i]!
        + W(`${pre}attn.b_O`)[i]!));
      resid = mid.map((r) => {
        const hIn = matvec(ln(r, W(`${pre}ln2.w`), W(`${pre}ln2.b`)), W(`${pre}mlp.W_in`), cfg.dMlp)
          .map((val, i) => val + W(`${pre}mlp.b_in`)[i]!);
        const act = hIn.map((a) => 0.5 * a * (1 + erf(a / Math.SQRT2)));
        const out = matvec(act, W(`${pre}mlp.W_out`), D);
        return r.map((val, i) => val + out[i]! + W(`${pre}mlp.b_out`)[i]!);
      });
    }
    return resid.map((r) => matvec(ln(r, W('ln_final.w'), W('ln_final.b')), W('W_U'), cfg.dVocab)
      .map((val, i) => val + W('b_U')[i]!));
  });
}

/** Perturbs every parameter a little so biases and norms are not trivially 0 and 1. */
function jiggle(model: Transformer, seed: number): void {
  const rng = new Rng(seed);
  for (const p of model.parameters()) {
    p.assign(tensor(Array.from(p.toArray(), (v) => v + 0.1 * rng.normal()), p.shape, p.backend));
  }
}

describe('Transformer', () => {
  it('matches an independent hand-written forward pass', () => {
    const model = new Transformer(tiny, 3);
    jiggle(model, 4);
    const logits = model.forward(tensor(tokens.flat(), [2, 5])).logits;
    expect(logits.shape).toEqual([2, 5, 7]);
    const expected = handForward(weights(model), tiny, tokens).flat(2);
    const got = Array.from(logits.toArray());
    got.forEach((g, i) => expect(Math.abs(g - expected[i]!)).toBeLessThan(1e-4));
  });

  it('computes the same logits and hooks when restricted to an output window', () => {
    const model = new Transformer(tiny, 5);
    const x = tensor(tokens.flat(), [2, 5]);
    const hooks = ['blocks.1.hook_resid_post', 'blocks.0.hook_resid_post', 'hook_embed'];
    const full = model.forward(x, { hooks });
    const part = model.forward(x, { window: [2, 4], hooks });
    const sliceT = (t: Tensor, from: number, to: number) => {
      const [B, T, C] = t.shape as [number, number, number];
      const v = t.toArray();
      return Array.from({ length: B * (to - from) * C }, (_, i) => {
        const b = Math.floor(i / ((to - from) * C)), p = Math.floor(i / C) % (to - from), c = i % C;
        return v[(b * T + from + p) * C + c]!;
      });
    };
    const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a)
      .forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-5));
    close(part.logits.toArray(), sliceT(full.logits, 2, 4));
    close(part.cache.get('blocks.1.hook_resid_post')!.toArray(),
      sliceT(full.cache.get('blocks.1.hook_resid_post')!, 2, 4));
    close(part.cache.get('blocks.0.hook_resid_post')!.toArray(), full.cache.get('blocks.0.hook_resid_post')!.toArray());
    expect(() => model.forward(x, { hooks: ['blocks.9.hook_resid_post'] }))
      .toThrow(/unknown hook 'blocks.9.hook_resid_post'/);
    expect(() => model.forward(x, { window: [3, 9] })).toThrow(/output window \[3, 9\)/);
  });

  it('has the gradient of finite differences (float64, every parameter tensor sampled)', async () => {
    const f64 = await loadBackend('reference64');
    withBackend(f64, () => {
      const cfg = { ...tiny, nLayers: 2, dModel: 4, dHead: 2, dMlp: 6 };
      const model = new Transformer(cfg, 7);
      jiggle(model, 8);
      const x = tensor(tokens.flat(), [2, 5]);
      const targets = tensor([2, 5, 0, 6], [2, 2]);
      const loss = () => model.loss(x, targets, [3, 5]);
      loss().backward();
      const rng = new Rng(9);
      for (const [name, p] of model.namedParameters()) {
        const analytic = p.grad!.toArray();
        for (let trial = 0; trial < 2; trial++) {
          const i = rng.int(p.size);
          const orig = p.toArray();
          const at = (delta: number) => {
            const v = Array.from(orig);
            v[i]! += delta;
            p.assign(tensor(v, p.shape));
            return loss().item();
          };
          const numeric = (at(1e-6) - at(-1e-6)) / 2e-6;
          p.assign(tensor(Array.from(orig), p.shape));
          expect(Math.abs(analytic[i]! - numeric), `${name}[${i}]`).toBeLessThan(1e-6 + 1e-5 * Math.abs(numeric));
        }
      }
    });
  });

  it('learns: a few Adam steps (trainStep) lower the loss on a fixed batch', () => {
    const model = new Transformer(tiny, 11);
    const x = tensor(tokens.flat(), [2, 5]);
    const targets = tensor([4, 0, 6, 2, 3, 5, 0, 1], [2, 4]);
    const opt = new Adam(model.parameters(), { lr: 1e-2 });
    const first = model.loss(x, targets, [1, 5]).item();
    const losses = Array.from({ length: 30 }, () => model.trainStep(x, targets, opt, [1, 5]));
    expect(losses[0]).toBe(first); // trainStep returns the loss before its update
    expect(model.loss(x, targets, [1, 5]).item()).toBeLessThan(first * 0.5);
    expect(sum(model.W_E).item()).not.toBeNaN();
  });

  it('trainStep is zeroGrad, loss, backward, step; checkLoss sees the loss before anything changes', () => {
    const x = tensor(tokens.flat(), [2, 5]);
    const targets = tensor([4, 0, 6, 2, 3, 5, 0, 1], [2, 4]);
    const byHand = new Transformer(tiny, 12);
    const handOpt = new Adam(byHand.parameters(), { lr: 1e-2 });
    const stepped = new Transformer(tiny, 12);
    const opt = new Adam(stepped.parameters(), { lr: 1e-2 });
    for (let s = 0; s < 3; s++) {
      handOpt.zeroGrad();
      byHand.loss(x, targets, [1, 5]).backward();
      handOpt.step();
      stepped.trainStep(x, targets, opt, [1, 5]);
    }
    const values = (m: Transformer) => m.parameters().map((p) => Array.from(p.toArray()));
    expect(values(stepped)).toEqual(values(byHand));
    const before = values(stepped);
    expect(() => stepped.trainStep(x, targets, opt, [1, 5], () => { throw new Error('diverged'); }))
      .toThrow('diverged');
    expect(values(stepped)).toEqual(before);
    expect(opt.stepCount).toBe(3);
  });

  it('rejects a bad config with the field named', () => {
    expect(() => new Transformer({ ...tiny, nHeads: 0 }, 1)).toThrow(/nHeads \(0\) must be a positive integer/);
  });
});
