/**
 * The playground's computation and settings. playground-core.ts must give the numbers the experiment's own
 * functions give for the same settings (it only calls them); the settings must survive the address bar and
 * refuse bad values with a message that names the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackends, setBackend } from '@saelab/tensor';
import { generateSynthetic } from '../../../packages/experiments/src/synthetic/generate.js';
import { decoderMatrix, trainSae } from '../../../packages/experiments/src/train/sae.js';
import { analyticBaseline } from '../../../packages/experiments/src/metrics/baseline.js';
import { pwmcc } from '../../../packages/experiments/src/metrics/pwmcc.js';
import { mmcs, scoreAgainstTruth } from '../../../packages/experiments/src/metrics/truth.js';
import { runPlayground, truthHeatmap, type PlaygroundEvent } from '../src/scripts/playground-core.js';
import { DEFAULT_SETTINGS, parseSettings, settingsToQuery, type PlaygroundSettings } from
  '../src/scripts/playground-settings.js';

const TINY: PlaygroundSettings = { ...DEFAULT_SETTINGS, d: 8, features: 16, samples: 512, meanActive: 2, seeds: [3, 7],
  k: 2, dSae: 32, epochs: 2, batchSize: 64, lr: 0.01 };

beforeAll(async () => { await setBackend('wasm'); });
afterAll(() => disposeBackends());

describe('playground-core', () => {
  it('gives the numbers of the experiment functions called directly: PWMCC, MMCS, losses, chance', async () => {
    const events: PlaygroundEvent[] = [];
    const summary = await runPlayground(TINY, (e) => events.push(e));

    const data = generateSynthetic({ d: 8, features: 16, samples: 512, meanActive: 2, dataSeed: 0 });
    const cfg = { variant: 'husai' as const, expansion: 4, k: 2, lr: 0.01, batchSize: 64, epochs: 2 };
    const direct = [];
    for (const seed of [3, 7]) direct.push(await trainSae(data.activations, 8, cfg, seed));
    const [a, b] = direct.map((r) => decoderMatrix(r.sae));
    expect(summary.pwmcc.mean).toBe(pwmcc(a!, b!));
    expect(summary.pwmccMatrix[0]![1]).toBe(pwmcc(a!, b!));
    expect(summary.chance).toBe(analyticBaseline(8, 32));
    for (const [i, r] of direct.entries()) {
      const mine = summary.saes[i]!;
      expect(mine.seed).toBe([3, 7][i]);
      expect(mine.lossCurve).toEqual(r.metrics.lossCurve);
      expect(mine.l0).toBe(r.metrics.l0);
      expect(mine.truth).toEqual(scoreAgainstTruth(data.truth, decoderMatrix(r.sae)));
      expect(mine.truth.mmcs).toBe(mmcs(data.truth, decoderMatrix(r.sae)));
    }
    // The live events: every step of both SAEs, the last epoch's cross-seed PWMCC, and the curve ends at the value.
    expect(events.filter((e) => e.type === 'step')).toHaveLength(2 * 2 * 8);
    const lastEpoch = events.filter((e) => e.type === 'epoch').at(-1);
    expect(lastEpoch).toMatchObject({ type: 'epoch', sae: 1, epoch: 2, pwmccWithEarlier: [pwmcc(a!, b!)] });
    expect(summary.pwmccCurve.at(-1)).toBe(summary.pwmcc.mean);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('orders the heatmap by the one-to-one matching, best first', () => {
    const truth = { data: Float32Array.from([1, 0, 0, 0, 1, 0]), rows: 2, cols: 3 };
    const learned = { data: Float32Array.from([0, 0, 1, 0, 0.6, 0.8, 1, 0, 0]), rows: 3, cols: 3 };
    const map = truthHeatmap(truth, learned);
    expect(map.features).toEqual([0, 1]); // feature 0 matches latent 2 exactly; feature 1 latent 1 at 0.6
    expect(map.latents).toEqual([2, 1, 0]);
    expect(Array.from(map.values).map((v) => Number(v.toFixed(3)))).toEqual([1, 0, 0, 0.6, 0, 0]);
  });
});

describe('playground settings in the address', () => {
  it('round-trips every field', () => {
    expect(parseSettings('')).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings(settingsToQuery(DEFAULT_SETTINGS))).toEqual(DEFAULT_SETTINGS);
    const custom: PlaygroundSettings = { backend: 'gpujs', d: 64, features: 256, samples: 3000, meanActive: 2.5,
      dataSeed: 9, seeds: [5, 1, 4, 2, 3], arch: 'batchtopk', k: 8, dSae: 512, epochs: 3, batchSize: 256, lr: 0.0005 };
    const query = settingsToQuery(custom);
    expect(query).toContain('seeds=5,1,4,2,3');
    expect(parseSettings(query)).toEqual(custom);
    expect(parseSettings(`?${query}`.slice(1))).toEqual(custom);
  });

  it.each([
    ['k=abc', "k must be a whole number from 1 to 512 (got 'abc')"],
    ['d=1', 'd must be from 2 to 128 (got 1)'],
    ['samples=1e6', "samples must be a whole number from 64 to 20000 (got '1e6')"],
    ['seeds=4', 'seeds must list 2 to 5 seeds'],
    ['seeds=1,2,3,4,5,6', 'seeds must list 2 to 5 seeds'],
    ['seeds=1,1', 'seeds must not repeat a seed'],
    ['seeds=1,x', "each of seeds must be a whole number"],
    ['d=32&dsae=100', 'dsae (100) must be a multiple of d (32)'],
    ['k=200&dsae=128', 'k (200) must be at most dsae (128)'],
    ['arch=relu', 'arch must be one of husai, openai, standard, gated, jumprelu, batchtopk'],
    ['backend=cuda', "backend must be one of wasm, gpujs (got 'cuda')"],
    ['lr=0', "lr must be a number greater than 0 and at most 1 (got '0')"],
    ['active=100&features=64', 'active (100) must be at most features (64)'],
    ['batch=4000&samples=1000', 'batch (4000) must be at most samples (1000)'],
    ['steps=3', "unknown setting 'steps'"],
  ])('rejects %s with a message naming the field', (query, message) => {
    expect(() => parseSettings(query)).toThrow(message);
  });
});
