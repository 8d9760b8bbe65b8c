/**
 * Safetensors files on disk and atomic writes: save and load, replacing a file, failures that leave nothing behind,
 * the path named in every error, concurrent atomic writers, JSON writes.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeJsonAtomic } from '../src/io/atomic.js';
import { encodeSafetensors, loadSafetensors, saveSafetensors } from '../src/io/safetensors.js';

describe('files', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'saelab-safetensors-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const tensors = { w: { shape: [2], data: Float32Array.of(1, 2) } };

  it('saves and loads, leaving no temp file behind', async () => {
    await saveSafetensors(join(dir, 'sae.safetensors'), tensors, { seed: '42' });
    expect(await readdir(dir)).toEqual(['sae.safetensors']);
    const loaded = await loadSafetensors(join(dir, 'sae.safetensors'));
    expect(loaded.metadata).toEqual({ seed: '42' });
    expect(Array.from(loaded.tensors.w!.data)).toEqual([1, 2]);
  });

  it('replaces an existing, longer file', async () => {
    const path = join(dir, 'sae.safetensors');
    await writeFile(path, 'x'.repeat(10_000));
    await saveSafetensors(path, tensors);
    expect((await stat(path)).size).toBe(encodeSafetensors(tensors).length);
    expect(Array.from((await loadSafetensors(path)).tensors.w!.data)).toEqual([1, 2]);
    expect(await readdir(dir)).toEqual(['sae.safetensors']);
  });

  it('propagates the error when the target folder is a file, leaving nothing behind', async () => {
    await writeFile(join(dir, 'blocker'), 'not a folder');
    await expect(saveSafetensors(join(dir, 'blocker', 'sae.safetensors'), tensors)).rejects.toThrow(/EEXIST|ENOTDIR/);
    expect(await readdir(dir)).toEqual(['blocker']);
  });

  it('removes the temp file when the final rename fails (the target is a folder)', async () => {
    await mkdir(join(dir, 'sae.safetensors', 'inside'), { recursive: true });
    await expect(saveSafetensors(join(dir, 'sae.safetensors'), tensors)).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['sae.safetensors']);
  });

  it('names the path of a missing or corrupt file', async () => {
    const missing = join(dir, 'nope.safetensors');
    await expect(loadSafetensors(missing)).rejects.toThrow(`safetensors file ${missing} does not exist`);
    const junk = join(dir, 'junk.safetensors');
    await writeFile(junk, 'hello, I am not a tensor file');
    await expect(loadSafetensors(junk)).rejects.toThrow(`corrupt safetensors file ${junk}: header length`);
    await expect(saveSafetensors(junk, { w: { shape: [3], data: new Float32Array(2) } }))
      .rejects.toThrow(`cannot write safetensors file ${junk}: tensor "w"`);
  });

  it('writeFileAtomic creates parent folders; concurrent writers each use their own temp file', async () => {
    const path = join(dir, 'a', 'b', 'out.txt');
    const contents = Array.from({ length: 25 }, (_, i) => `writer ${i}\n`.repeat(100 * (i + 1)));
    await Promise.all(contents.map((text) => writeFileAtomic(path, text)));
    expect(contents).toContain(await readFile(path, 'utf8'));
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['out.txt']);
  });

  it('writeJsonAtomic writes two-space JSON with a final newline, and refuses what JSON cannot hold', async () => {
    const path = join(dir, 'result.json');
    await writeJsonAtomic(path, { loss: 0.5, steps: [1, 2] });
    expect(await readFile(path, 'utf8')).toBe('{\n  "loss": 0.5,\n  "steps": [\n    1,\n    2\n  ]\n}\n');
    await expect(writeJsonAtomic(path, undefined)).rejects.toThrow(`cannot write ${path} as JSON`);
  });
});
