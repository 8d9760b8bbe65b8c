/**
 * The README describes the primitives the code has: its file map gives their number and its
 * "Primitives." paragraph names each one, so that neither can drift from primitives.ts. The keys of
 * the gradient table are exactly the Primitive union (its type, `{ [P in Primitive]: ... }`, says so).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gradients } from '../src/gradients.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const primitives = Object.keys(gradients).sort();

describe('README.md', () => {
  it('gives the number of primitives there are', () => {
    const stated = /primitives\.ts\s+the (\d+) primitives/.exec(readme);
    expect(stated, "README's file map should say 'primitives.ts    the N primitives'").not.toBeNull();
    expect(Number(stated![1])).toBe(primitives.length);
  });

  it('names every primitive in its Primitives paragraph', () => {
    const paragraph = /\*\*Primitives\.\*\*([\s\S]*?)\n\n/.exec(readme)?.[1];
    expect(paragraph, "README should have a paragraph starting '**Primitives.**'").toBeDefined();
    // Backticked words; the paragraph also names a few composites (`concat`, `crossEntropy`).
    const named = new Set([...paragraph!.matchAll(/`([a-zA-Z ]+)`/g)].flatMap((m) => m[1]!.split(' ')));
    expect(primitives.filter((p) => !named.has(p)), 'primitives the paragraph does not name').toEqual([]);
  });
});
