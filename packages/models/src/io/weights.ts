/**
 * Weight files in the layouts the field already reads:
 * - SAEs as SAELens loads them: `W_enc` [d_in, d_sae], `b_enc` [d_sae], `W_dec` [d_sae, d_in],
 *   `b_dec` [d_in] in `<name>.safetensors`, with a `cfg.json` beside it.
 * - The transformer with TransformerLens state-dict names and shapes (`blocks.0.attn.W_Q` is
 *   [n_heads, d_model, d_head]).
 * - Training checkpoints: the module's own parameter names, plus optimiser moments, exact.
 */
import { Adam, noGrad, permute, reshape, tensor, type Module, type Tensor } from '@saelab/tensor';
import { saeArchitecture, type SparseAutoencoder, type SaeFileConfig } from '../sae/index.js';
import { Transformer, type TransformerConfig } from '../transformer.js';
import { loadSafetensors, saveSafetensors, type NamedTensor } from './safetensors.js';
import { writeJsonAtomic } from './atomic.js';

export type { SaeFileConfig } from '../sae/index.js';

const host = (t: Tensor): NamedTensor => ({ shape: [...t.shape], data: Float32Array.from(t.toArray()) });

/** The SAE in SAELens layout (its architecture's `stateDict()`). */
export function saeStateDict(sae: SparseAutoencoder): Record<string, NamedTensor> {
  return sae.stateDict();
}

/** Writes `<path>.safetensors` and `<path>.cfg.json` (atomically). */
export async function saveSae(path: string, sae: SparseAutoencoder,
  meta: { hookName: string; seed: number; [extra: string]: unknown }): Promise<void> {
  const { hookName, seed, ...extra } = meta;
  const cfg: SaeFileConfig = {
    d_in: sae.cfg.dIn, d_sae: sae.cfg.dSae, ...sae.fileFields(), hook_name: hookName, dtype: 'float32', seed, ...extra,
  };
  await saveSafetensors(`${path}.safetensors`, saeStateDict(sae), { format: 'pt', variant: sae.cfg.variant });
  await writeJsonAtomic(`${path}.cfg.json`, cfg);
}

/** Reads an SAE written by `saveSae` back, with every hyperparameter its cfg.json holds, on the current backend. */
export async function loadSae(path: string): Promise<{ sae: SparseAutoencoder; cfg: SaeFileConfig }> {
  const { readFile } = await import('node:fs/promises');
  let cfg: SaeFileConfig;
  try {
    cfg = JSON.parse(await readFile(`${path}.cfg.json`, 'utf8')) as SaeFileConfig;
  } catch (e) {
    throw new Error(`cannot read SAE config ${path}.cfg.json: ${(e as Error).message}`);
  }
  const { tensors } = await loadSafetensors(`${path}.safetensors`);
  let sae: SparseAutoencoder;
  try {
    const Architecture = saeArchitecture(String(cfg.variant));
    sae = new Architecture(Architecture.configFromFile(cfg) as never, 0);
  } catch (e) {
    throw new Error(`${path}.cfg.json: ${(e as Error).message}`);
  }
  sae.loadStateDict(tensors, `${path}.safetensors`);
  return { sae, cfg };
}

/** TransformerLens names and shapes for our parameters. */
export function transformerStateDict(model: Transformer): Record<string, NamedTensor> {
  const { nHeads: H, dHead: Dh, dModel: D } = model.cfg;
  const out: Record<string, NamedTensor> = {};
  noGrad(() => {
    for (const [name, p] of model.namedParameters()) {
      const leaf = name.split('.').pop()!;
      if (name === 'W_E' || name === 'W_pos' || name === 'W_U' || name === 'b_U') {
        out[{ W_E: 'embed.W_E', W_pos: 'pos_embed.W_pos', W_U: 'unembed.W_U', b_U: 'unembed.b_U' }[name]] = host(p);
      } else if (/^W_[QKV]$/.test(leaf)) {
        out[name] = host(permute(reshape(p, [D, H, Dh]), [1, 0, 2])); // [D, H*Dh] -> [H, D, Dh]
      } else if (/^b_[QKV]$/.test(leaf)) {
        out[name] = host(reshape(p, [H, Dh]));
      } else if (leaf === 'W_O') {
        out[name] = host(reshape(p, [H, Dh, D])); // rows are grouped by head already
      } else {
        out[name] = host(p);
      }
    }
  });
  return out;
}

/** Saves the transformer (TransformerLens names) with its config as metadata. */
export async function saveTransformer(path: string, model: Transformer): Promise<void> {
  await saveSafetensors(path, transformerStateDict(model), { format: 'pt', config: JSON.stringify(model.cfg) });
}

/** Loads a transformer written by `saveTransformer`. */
export async function loadTransformer(path: string): Promise<Transformer> {
  const { tensors, metadata } = await loadSafetensors(path);
  if (!metadata.config) {
    throw new Error(`${path}: no transformer config in the metadata; was it written by saveTransformer?`);
  }
  const model = new Transformer(JSON.parse(metadata.config) as TransformerConfig, 0);
  const expected = transformerStateDict(model);
  noGrad(() => {
    const params = new Map(model.namedParameters());
    for (const [name, spec] of Object.entries(expected)) {
      const t = tensors[name];
      if (!t || t.shape.join() !== spec.shape.join()) {
        throw new Error(`${path}: tensor ${name} must have shape [${spec.shape.join(', ')}]`);
      }
      const ours = internalName(name);
      const p = params.get(ours)!;
      const { nHeads: H, dHead: Dh, dModel: D } = model.cfg;
      let value = tensor(Array.from(t.data), t.shape);
      if (/W_[QKV]$/.test(name)) value = reshape(permute(value, [1, 0, 2]), [D, H * Dh]);
      p.assign(reshape(value, p.shape));
    }
  });
  return model;
}

function internalName(tlName: string): string {
  return ({ 'embed.W_E': 'W_E', 'pos_embed.W_pos': 'W_pos', 'unembed.W_U': 'W_U',
    'unembed.b_U': 'b_U' } as Record<string, string>)[tlName] ?? tlName;
}

/** A training checkpoint: parameters under their own names, Adam moments, and a JSON state blob. */
export async function saveCheckpoint(path: string, module: Module, opt: Adam, state: unknown): Promise<void> {
  const tensors: Record<string, NamedTensor> = {};
  const named = module.namedParameters();
  const moments = opt.state();
  named.forEach(([name, p], i) => {
    tensors[`param.${name}`] = host(p);
    tensors[`adam_m.${name}`] = { shape: [...p.shape], data: moments.m[i]! };
    tensors[`adam_v.${name}`] = { shape: [...p.shape], data: moments.v[i]! };
  });
  await saveSafetensors(path, tensors, { state: JSON.stringify(state), adamStep: String(moments.step) });
}

/** Restores `saveCheckpoint` output into a module built with the same config; returns the state blob. */
export async function loadCheckpoint(path: string, module: Module, opt: Adam): Promise<unknown> {
  const { tensors, metadata } = await loadSafetensors(path);
  const named = module.namedParameters();
  const pick = (key: string, p: Tensor) => {
    const t = tensors[key];
    if (!t || t.shape.join() !== p.shape.join()) {
      throw new Error(`checkpoint ${path} does not fit this model: ${key} `
        + `${t ? `has shape [${t.shape.join(', ')}]` : 'is missing'}, expected [${p.shape.join(', ')}]; delete the `
        + `checkpoint to start over`);
    }
    return t.data;
  };
  noGrad(() => named.forEach(([name, p]) => p.assign(tensor(Array.from(pick(`param.${name}`, p)), p.shape,
    p.backend))));
  opt.loadState({
    step: Number(metadata.adamStep ?? 0),
    m: named.map(([name, p]) => pick(`adam_m.${name}`, p)),
    v: named.map(([name, p]) => pick(`adam_v.${name}`, p)),
  });
  return JSON.parse(metadata.state ?? 'null');
}
