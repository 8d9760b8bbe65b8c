/** The backend registry: what a backend can do is known before it is created, and unknown names are named. */
import { describe, expect, it } from 'vitest';
import { backendCapabilities, registerBackend, registeredBackends, ReferenceBackend } from '../src/index.js';

describe('backend capabilities', () => {
  it('says which backends run in worker threads, without creating them', () => {
    expect(registeredBackends().map((n) => [n, backendCapabilities(n).workerThreads])).toEqual([
      ['reference', true], ['reference64', true], ['wasm', true], ['gpujs', false]]);
  });

  it('defaults a new backend to every capability, and takes what its registration says', () => {
    registerBackend('test-caps-a', () => new ReferenceBackend(Float32Array));
    registerBackend('test-caps-b', () => new ReferenceBackend(Float32Array), { workerThreads: false });
    expect([backendCapabilities('test-caps-a').workerThreads, backendCapabilities('test-caps-b').workerThreads])
      .toEqual([true, false]);
  });

  it('names the known backends for an unknown one', () => {
    expect(() => backendCapabilities('tpu'))
      .toThrow(/unknown backend 'tpu': choose one of reference, reference64, wasm/);
  });
});
