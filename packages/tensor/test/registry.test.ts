/**
 * The backend registry: what a backend can do is known before it is created, unknown names are named, and a
 * backend that takes a thread count gets it (setBackend(name, { threads })), one instance per count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backendCapabilities, loadBackend, registerBackend, registeredBackends, ReferenceBackend, type BackendOptions,
  type GpujsBackend,
} from '../src/index.js';
import { backendNames } from './helpers.js';

describe('backend capabilities', () => {
  it('says which backends run in worker threads and which take a thread count, without creating them', () => {
    expect(registeredBackends().map((n) => [n, backendCapabilities(n)])).toEqual([
      ['reference', { workerThreads: true, threads: false }], ['reference64', { workerThreads: true, threads: false }],
      ['wasm', { workerThreads: true, threads: true }], ['gpujs', { workerThreads: false, threads: false }]]);
  });

  it('defaults a new backend to worker threads and one thread of its own, and takes what its registration says',
      () => {
    registerBackend('test-caps-a', () => new ReferenceBackend(Float32Array));
    registerBackend('test-caps-b', () => new ReferenceBackend(Float32Array), { workerThreads: false, threads: true });
    expect([backendCapabilities('test-caps-a'), backendCapabilities('test-caps-b')])
      .toEqual([{ workerThreads: true, threads: false }, { workerThreads: false, threads: true }]);
  });

  it('names the known backends for an unknown one', () => {
    expect(() => backendCapabilities('tpu'))
      .toThrow(/unknown backend 'tpu': choose one of reference, reference64, wasm/);
  });
});

describe('backend options', () => {
  const seen: BackendOptions[] = [];
  beforeAll(() => {
    registerBackend('test-opts-threads', (o) => (seen.push(o), new ReferenceBackend(Float32Array)), { threads: true });
    registerBackend('test-opts-single', (o) => (seen.push(o), new ReferenceBackend(Float32Array)));
  });
  afterAll(async () => {
    for (const threads of [1, 2]) (await loadBackend('wasm', { threads })).dispose?.();
  });

  it('gives a backend with the threads capability its count, one instance per count, and checks it', async () => {
    seen.length = 0;
    const [one, two, oneAgain] = [await loadBackend('test-opts-threads', { threads: 1 }),
      await loadBackend('test-opts-threads', { threads: 2 }), await loadBackend('test-opts-threads', { threads: 1 })];
    expect(seen).toEqual([{ threads: 1 }, { threads: 2 }]);
    expect(one).toBe(oneAgain);
    expect(two).not.toBe(one);
    await expect(loadBackend('test-opts-threads', { threads: 0 }))
      .rejects.toThrow("backend 'test-opts-threads': threads must be a positive integer, got 0");
  });

  it('never hands the count to a backend without the capability (it runs on one thread whatever it is asked)',
      async () => {
    seen.length = 0;
    const plain = await loadBackend('test-opts-single');
    expect(await loadBackend('test-opts-single', { threads: 4 })).toBe(plain);
    expect(seen).toEqual([{}]);
  });

  it('runs wasm on the count asked, whatever SAELAB_WASM_THREADS says', async () => {
    const saved = process.env.SAELAB_WASM_THREADS;
    process.env.SAELAB_WASM_THREADS = '2';
    try {
      expect((await loadBackend('wasm', { threads: 1 })).threads).toBe(1);
      expect((await loadBackend('wasm', { threads: 2 })).threads).toBe(2);
    } finally {
      if (saved === undefined) delete process.env.SAELAB_WASM_THREADS;
      else process.env.SAELAB_WASM_THREADS = saved;
    }
  });
});

describe('backend descriptions (what a results file records of the backend)', () => {
  it('wasm names its thread count and build', async () => {
    for (const threads of [1, 2]) {
      expect((await loadBackend('wasm', { threads })).describe?.()).toEqual({ threads, module: 'simd+threads' });
    }
  });

  it.each(backendNames())('%s describes itself; gpujs names its mode and, in a GL mode, a renderer', async (name) => {
    const b = await loadBackend(name);
    const d = b.describe?.();
    expect(d).toBeTypeOf('object');
    for (const v of Object.values(d!)) expect(['string', 'number', 'boolean']).toContain(typeof v);
    if (name === 'gpujs') {
      const g = b as GpujsBackend;
      expect(d!.mode).toBe(g.mode);
      if (g.isGpu) expect(d!.renderer).toMatch(/\w{3,}/);
      else expect(d!.renderer).toBe('none');
      if (g.mode === 'HeadlessGL' && process.platform === 'linux') expect(d!.renderer).toMatch(/ over .*(GLX|_dri)/);
    }
  });
});
