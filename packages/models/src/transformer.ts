/**
 * The protocol's transformer: a TransformerLens-style, pre-LayerNorm decoder-only model.
 * References: TransformerLens `HookedTransformer` (names, init, hooks), nanoGPT `model.py` (shape).
 *
 * Weights are held in the layout the matmuls want (W_Q as [d_model, n_heads * d_head]) and
 * converted to TransformerLens's layout ([n_heads, d_model, d_head]) only when saved.
 * A forward pass may compute the last block only at an output window of positions: in the copy
 * task the loss reads positions 11..20, so the last block's queries, MLP and unembedding at
 * positions 0..10 are work that never reaches it.
 */
import {
  type Adam, add, crossEntropy, gatherRows, gelu, layerNorm, matmul, Module, normal, ones, permute, reshape, Rng,
  slice, softmax,
  tensor, zeros, type Tensor,
} from '@saelab/tensor';

export interface TransformerConfig {
  nLayers: number; // 2
  dModel: number; // 128
  nHeads: number; // 4
  dHead: number; // 32
  dMlp: number; // 512
  dVocab: number; // 22 for copy, 117 for modular addition
  nCtx: number; // longest sequence: 21 for copy, 7 for modular addition
  initRange?: number; // std of every weight matrix; default 0.8 / sqrt(dModel), as TransformerLens
  lnEps?: number; // default 1e-5
}

/** The protocol's sizes; add dVocab and nCtx for a task. */
export const PROTOCOL_TRANSFORMER = { nLayers: 2, dModel: 128, nHeads: 4, dHead: 32, dMlp: 512 } as const;

class LayerNorm extends Module {
  readonly w: Tensor;
  readonly b: Tensor;
  constructor(d: number, readonly eps: number) {
    super();
    this.w = ones([d]).requireGrad();
    this.b = zeros([d]).requireGrad();
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.w, this.b, this.eps);
  }
}

class Attention extends Module {
  readonly W_Q: Tensor; readonly b_Q: Tensor; // [d_model, H*d_head], [H*d_head]
  readonly W_K: Tensor; readonly b_K: Tensor;
  readonly W_V: Tensor; readonly b_V: Tensor;
  readonly W_O: Tensor; readonly b_O: Tensor; // [H*d_head, d_model], [d_model]

  constructor(private readonly cfg: Required<TransformerConfig>, rng: Rng) {
    super();
    const { dModel: D, nHeads: H, dHead: Dh, initRange: s } = cfg;
    const w = (shape: number[], name: string) => normal(shape, rng.fork(name), 0, s).requireGrad();
    this.W_Q = w([D, H * Dh], 'W_Q'); this.b_Q = zeros([H * Dh]).requireGrad();
    this.W_K = w([D, H * Dh], 'W_K'); this.b_K = zeros([H * Dh]).requireGrad();
    this.W_V = w([D, H * Dh], 'W_V'); this.b_V = zeros([H * Dh]).requireGrad();
    this.W_O = w([H * Dh, D], 'W_O'); this.b_O = zeros([D]).requireGrad();
  }

  /** x [B, T, D] (keys and values), xq [B, P, D] (queries at positions from..from+P-1) -> [B, P, D]. */
  forward(x: Tensor, xq: Tensor, from: number): Tensor {
    const { nHeads: H, dHead: Dh } = this.cfg;
    const [B, T] = x.shape as [number, number, number];
    const P = xq.shape[1]!;
    // [B, T, D] @ [D, H*Dh] -> [B, T, H, Dh] -> [B, H, T, Dh]
    const heads = (y: Tensor, W: Tensor, b: Tensor, len: number) =>
      permute(reshape(matmul(y, W, { bias: b }), [B, len, H, Dh]), [0, 2, 1, 3]);
    const q = heads(xq, this.W_Q, this.b_Q, P);
    const k = heads(x, this.W_K, this.b_K, T);
    const v = heads(x, this.W_V, this.b_V, T);
    // (B, H, P, Dh) x (B, H, Dh, T) -> (B, H, P, T), scaled, causally masked
    const scores = add(matmul(q, k, { transB: true }).mul(1 / Math.sqrt(Dh)), causalMask(from, P, T, x.backend));
    const pattern = softmax(scores);
    // (B, H, P, T) x (B, H, T, Dh) -> (B, H, P, Dh) -> (B, P, H*Dh)
    const z = reshape(permute(matmul(pattern, v), [0, 2, 1, 3]), [B, P, H * Dh]);
    return matmul(z, this.W_O, { bias: this.b_O });
  }
}

/** [P, T] additive mask: 0 where key t <= query position from + p, else -1e30 (exp gives exactly 0). */
function causalMask(from: number, P: number, T: number, backend: Tensor['backend']): Tensor {
  const m = new Float32Array(P * T);
  for (let p = 0; p < P; p++) for (let t = from + p + 1; t < T; t++) m[p * T + t] = -1e30;
  return tensor(m, [P, T], backend);
}

class MLP extends Module {
  readonly W_in: Tensor; readonly b_in: Tensor; // [D, d_mlp]
  readonly W_out: Tensor; readonly b_out: Tensor; // [d_mlp, D]
  constructor(cfg: Required<TransformerConfig>, rng: Rng) {
    super();
    this.W_in = normal([cfg.dModel, cfg.dMlp], rng.fork('W_in'), 0, cfg.initRange).requireGrad();
    this.b_in = zeros([cfg.dMlp]).requireGrad();
    this.W_out = normal([cfg.dMlp, cfg.dModel], rng.fork('W_out'), 0, cfg.initRange).requireGrad();
    this.b_out = zeros([cfg.dModel]).requireGrad();
  }
  forward(x: Tensor): Tensor {
    return matmul(gelu(matmul(x, this.W_in, { bias: this.b_in })), this.W_out, { bias: this.b_out });
  }
}

class Block extends Module {
  readonly ln1: LayerNorm; readonly attn: Attention; readonly ln2: LayerNorm; readonly mlp: MLP;
  constructor(cfg: Required<TransformerConfig>, rng: Rng) {
    super();
    this.ln1 = new LayerNorm(cfg.dModel, cfg.lnEps);
    this.attn = new Attention(cfg, rng.fork('attn'));
    this.ln2 = new LayerNorm(cfg.dModel, cfg.lnEps);
    this.mlp = new MLP(cfg, rng.fork('mlp'));
  }
}

export interface ForwardOptions {
  /** Compute the last block, final norm and unembedding only at positions [from, to). Default: all. */
  window?: readonly [number, number];
  /** Hook names whose activations to return, e.g. `blocks.1.hook_resid_post`. */
  hooks?: readonly string[];
}

export interface ForwardResult {
  /** [B, P, d_vocab] for the output window's P positions. */
  logits: Tensor;
  /** The requested hooks; the last block's hooks hold only the output window's positions. */
  cache: Map<string, Tensor>;
}

export class Transformer extends Module {
  readonly cfg: Required<TransformerConfig>;
  readonly W_E: Tensor; // [d_vocab, D]
  readonly W_pos: Tensor; // [n_ctx, D]
  readonly blocks: Block[];
  readonly ln_final: LayerNorm;
  readonly W_U: Tensor; // [D, d_vocab]
  readonly b_U: Tensor;

  /** All weights drawn from `seed` (a number or an Rng), biases zero, norms one. */
  constructor(config: TransformerConfig, seed: number | Rng) {
    super();
    this.cfg = { initRange: 0.8 / Math.sqrt(config.dModel), lnEps: 1e-5, ...config };
    validateConfig(this.cfg);
    const rng = typeof seed === 'number' ? new Rng(seed) : seed;
    const s = this.cfg.initRange;
    this.W_E = normal([this.cfg.dVocab, this.cfg.dModel], rng.fork('W_E'), 0, s).requireGrad();
    this.W_pos = normal([this.cfg.nCtx, this.cfg.dModel], rng.fork('W_pos'), 0, s).requireGrad();
    this.blocks = Array.from({ length: this.cfg.nLayers }, (_, l) => new Block(this.cfg, rng.fork(`blocks.${l}`)));
    this.ln_final = new LayerNorm(this.cfg.dModel, this.cfg.lnEps);
    this.W_U = normal([this.cfg.dModel, this.cfg.dVocab], rng.fork('W_U'), 0, s).requireGrad();
    this.b_U = zeros([this.cfg.dVocab]).requireGrad();
  }

  /** tokens [B, T] (integers stored as floats) -> logits over the output window, plus requested hooks. */
  forward(tokens: Tensor, options: ForwardOptions = {}): ForwardResult {
    const [, T] = tokens.shape as [number, number];
    if (T > this.cfg.nCtx) throw new Error(`Transformer: sequence length ${T} exceeds n_ctx ${this.cfg.nCtx}`);
    const [from, to] = options.window ?? [0, T];
    if (!(0 <= from && from < to && to <= T)) {
      throw new Error(`Transformer: output window [${from}, ${to}) is not inside [0, ${T})`);
    }
    const wanted = new Set(options.hooks ?? []);
    const cache = new Map<string, Tensor>();
    const hook = (name: string, x: Tensor) => {
      if (wanted.has(name)) cache.set(name, x);
      return x;
    };
    const window = (x: Tensor) => (from === 0 && to === T ? x : slice(x, { 1: [from, to] }));

    const embed = hook('hook_embed', gatherRows(this.W_E, tokens)); // [B, T, D]
    const pos = hook('hook_pos_embed', slice(this.W_pos, { 0: [0, T] })); // [T, D]
    let resid = add(embed, pos);
    this.blocks.forEach((block, l) => {
      const last = l === this.blocks.length - 1;
      hook(`blocks.${l}.hook_resid_pre`, resid);
      const x = block.ln1.forward(resid);
      const attnOut = last ? block.attn.forward(x, window(x), from) : block.attn.forward(x, x, 0);
      const mid = hook(`blocks.${l}.hook_resid_mid`, add(last ? window(resid) : resid, attnOut));
      resid = hook(`blocks.${l}.hook_resid_post`, add(mid, block.mlp.forward(block.ln2.forward(mid))));
    });
    const normalized = hook('ln_final.hook_normalized', this.ln_final.forward(resid));
    const logits = matmul(normalized, this.W_U, { bias: this.b_U });
    for (const name of wanted) {
      if (!cache.has(name)) throw new Error(`Transformer: unknown hook '${name}'`);
    }
    return { logits, cache };
  }

  /** Mean cross-entropy of the logits over the output window against targets [B, P]. */
  loss(tokens: Tensor, targets: Tensor, window?: readonly [number, number]): Tensor {
    return crossEntropy(this.forward(tokens, window ? { window } : {}).logits, targets);
  }

  /**
   * One training step as the experiment runs it: the loss over the window, its gradients, the optimiser step.
   * Returns the loss (before the update); `checkLoss` sees it before the backward pass and may throw to stop a
   * diverged run before the parameters change.
   *   const loss = tidy(() => model.trainStep(tokens, targets, opt, [11, 21]));
   */
  trainStep(tokens: Tensor, targets: Tensor, opt: Adam, window?: readonly [number, number],
    checkLoss?: (loss: number) => void): number {
    opt.zeroGrad();
    const loss = this.loss(tokens, targets, window);
    const value = loss.item();
    checkLoss?.(value);
    loss.backward();
    opt.step();
    return value;
  }
}

function validateConfig(c: Required<TransformerConfig>): void {
  for (const key of ['nLayers', 'dModel', 'nHeads', 'dHead', 'dMlp', 'dVocab', 'nCtx'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) {
      throw new Error(`Transformer config: ${key} (${c[key]}) must be a positive integer`);
    }
  }
  if (!(c.initRange > 0)) throw new Error(`Transformer config: initRange (${c.initRange}) must be > 0`);
}
