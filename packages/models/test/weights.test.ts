/** Weight files: SAELens and TransformerLens layouts, round trips, checkpoints that resume exactly. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adam, normal, Rng, tensor } from '@saelab/tensor';
import {
  loadCheckpoint, loadSae, loadSafetensors, loadTransformer, saveCheckpoint, makeSae, saveSae, saveTransformer,
  Transformer,
} from '../src/index.js';

const dir = () => mkdtemp(join(tmpdir(), 'saelab-weights-'));

describe('weight files', () => {
  it('saves SAEs in SAELens layout with a cfg.json, and loads them back exactly', async () => {
    const d = await dir();
    const sae = makeSae({ dIn: 8, dSae: 32, k: 4, variant: 'openai' }, 3, [1, 2, 3, 4, 5, 6, 7, 8]);
    await saveSae(join(d, 'sae-seed3'), sae, { hookName: 'blocks.1.hook_resid_post', seed: 3 });
    const { tensors } = await loadSafetensors(join(d, 'sae-seed3.safetensors'));
    expect(tensors.W_enc!.shape).toEqual([8, 32]);
    expect(tensors.W_dec!.shape).toEqual([32, 8]);
    expect(tensors.b_enc!.shape).toEqual([32]);
    expect(Array.from(tensors.b_dec!.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // W_enc is stored transposed: element [i, l] is latent l's weight on input i.
    expect(tensors.W_enc!.data[3 * 32 + 5]).toBe(sae.W_enc.toArray()[5 * 8 + 3]);
    const cfg = JSON.parse(await readFile(join(d, 'sae-seed3.cfg.json'), 'utf8'));
    expect(cfg).toMatchObject({ d_in: 8, d_sae: 32, k: 4, architecture: 'topk', variant: 'openai',
      hook_name: 'blocks.1.hook_resid_post', seed: 3, dtype: 'float32' });
    const back = (await loadSae(join(d, 'sae-seed3'))).sae;
    for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) {
      expect(Array.from(back[key].toArray())).toEqual(Array.from(sae[key].toArray()));
    }
  });

  it('restores every hyperparameter it saved, AuxK settings included', async () => {
    const d = await dir();
    for (const variant of ['husai', 'openai'] as const) {
      const sae = makeSae({ dIn: 8, dSae: 32, k: 4, variant, auxK: 3, auxCoef: 0.25, deadAfter: 77 }, 3);
      await saveSae(join(d, variant), sae, { hookName: 'blocks.1.hook_resid_post', seed: 3 });
      const { sae: back, cfg } = await loadSae(join(d, variant));
      expect(cfg).toMatchObject({ aux_k: 3, aux_coef: 0.25, dead_after: 77 });
      expect(back.cfg).toEqual(sae.cfg);
      expect(back).toBeInstanceOf(sae.constructor);
    }
  });

  it('writes the cfg.json layout of the committed results for an SAE with default settings', async () => {
    const d = await dir();
    const sae = makeSae({ dIn: 8, dSae: 32, k: 4, variant: 'husai' }, 3);
    await saveSae(join(d, 'sae'), sae, { hookName: 'blocks.1.hook_resid_post', seed: 3, task: 'copy' });
    // Key order and all: results/husai/*/sae-seed*.cfg.json are this, byte for byte.
    expect(await readFile(join(d, 'sae.cfg.json'), 'utf8')).toBe(`${JSON.stringify({
      d_in: 8, d_sae: 32, k: 4, architecture: 'topk', variant: 'husai', activation_fn: 'topk',
      activation_fn_kwargs: { k: 4 },
      apply_b_dec_to_input: false, hook_name: 'blocks.1.hook_resid_post', dtype: 'float32', seed: 3, task: 'copy',
    }, null, 2)}\n`);
    const back = (await loadSae(join(d, 'sae'))).sae;
    expect(back.cfg).toEqual(sae.cfg);
  });

  it('refuses a cfg.json naming an unknown architecture, naming the file and the known ones', async () => {
    const d = await dir();
    const sae = makeSae({ dIn: 8, dSae: 32, k: 4, variant: 'husai' }, 3);
    await saveSae(join(d, 'sae'), sae, { hookName: 'blocks.1.hook_resid_post', seed: 3, variant: 'matryoshka' });
    await expect(loadSae(join(d, 'sae'))).rejects
      .toThrow(/sae\.cfg\.json: .*variant 'matryoshka'.*husai, openai, standard/);
  });

  it('saves the transformer with TransformerLens names and shapes, and reloads the same function', async () => {
    const d = await dir();
    const cfg = { nLayers: 2, dModel: 8, nHeads: 2, dHead: 4, dMlp: 16, dVocab: 7, nCtx: 5 };
    const model = new Transformer(cfg, 4);
    await saveTransformer(join(d, 't.safetensors'), model);
    const { tensors } = await loadSafetensors(join(d, 't.safetensors'));
    expect(tensors['blocks.0.attn.W_Q']!.shape).toEqual([2, 8, 4]);
    expect(tensors['blocks.1.attn.W_O']!.shape).toEqual([2, 4, 8]);
    expect(tensors['blocks.0.attn.b_K']!.shape).toEqual([2, 4]);
    expect(tensors['embed.W_E']!.shape).toEqual([7, 8]);
    expect(tensors['unembed.W_U']!.shape).toEqual([8, 7]);
    // Head 1's query weight from input dim 2 to head dim 3 sits at our column 1*4+3 of row 2.
    expect(tensors['blocks.0.attn.W_Q']!.data[1 * 32 + 2 * 4 + 3]).toBe(model.blocks[0]!.attn.W_Q.toArray()[2 * 8 + 7]);
    const back = await loadTransformer(join(d, 't.safetensors'));
    const x = tensor([1, 2, 3, 4, 5, 0, 6, 1, 2, 3], [2, 5]);
    expect(Array.from(back.forward(x).logits.toArray())).toEqual(Array.from(model.forward(x).logits.toArray()));
  });

  it('checkpoints parameters and Adam moments so training resumes bit-identically', async () => {
    const d = await dir();
    const x = normal([16, 8], new Rng(5));
    const train = async (steps: number, resumeAt?: number) => {
      let sae = makeSae({ dIn: 8, dSae: 32, k: 4, variant: 'husai' }, 6);
      let opt = new Adam(sae.parameters(), { lr: 1e-2 });
      for (let s = 0; s < steps; s++) {
        if (s === resumeAt) {
          await saveCheckpoint(join(d, 'ck.safetensors'), sae, opt, { step: s });
          sae = makeSae({ dIn: 8, dSae: 32, k: 4, variant: 'husai' }, 99); // different init, overwritten by the load
          opt = new Adam(sae.parameters(), { lr: 1e-2 });
          expect(await loadCheckpoint(join(d, 'ck.safetensors'), sae, opt)).toEqual({ step: s });
        }
        opt.zeroGrad();
        sae.forward(x).loss.backward();
        opt.step();
        sae.constrainDecoder('afterStep');
      }
      return Array.from(sae.W_dec.toArray());
    };
    expect(await train(6, 3)).toEqual(await train(6));
  });

  it('refuses a checkpoint that does not fit the model, saying what to do', async () => {
    const d = await dir();
    const small = makeSae({ dIn: 8, dSae: 32, k: 4, variant: 'husai' }, 1);
    await saveCheckpoint(join(d, 'ck.safetensors'), small, new Adam(small.parameters()), {});
    const big = makeSae({ dIn: 8, dSae: 64, k: 4, variant: 'husai' }, 1);
    await expect(loadCheckpoint(join(d, 'ck.safetensors'), big, new Adam(big.parameters()))).rejects
      .toThrow(/does not fit this model.*delete the checkpoint/);
  });
});
