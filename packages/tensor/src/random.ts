/**
 * Seeded randomness. Every random draw in saelab comes from an `Rng` passed explicitly, so the
 * same seed gives the same numbers on every run and machine. Nothing calls Math.random.
 *
 *   const rng = new Rng(42);
 *   rng.uniform();          // in [0, 1)
 *   rng.permutation(5);     // e.g. [3, 0, 4, 1, 2]
 */
import seedrandom from 'seedrandom';

export class Rng {
  private readonly next: () => number;
  private spare: number | undefined; // Box-Muller makes normals in pairs

  /** `seed` may be a number or a string; `new Rng('init/layer0')`. */
  constructor(readonly seed: number | string) {
    // Alea: fast, small state, and good enough for initialisation and shuffling.
    this.next = seedrandom.alea(String(seed));
  }

  /** A uniform number in [0, 1). */
  uniform(): number {
    return this.next();
  }

  /** A standard normal number (Box-Muller). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next(); // log(0) is -Infinity
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A random ordering of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  }

  /** n uniform numbers in [low, high). */
  uniformArray(n: number, low = 0, high = 1): Float64Array {
    return Float64Array.from({ length: n }, () => low + (high - low) * this.next());
  }

  /** n normal numbers with the given mean and standard deviation. */
  normalArray(n: number, mean = 0, std = 1): Float64Array {
    return Float64Array.from({ length: n }, () => mean + std * this.normal());
  }

  /** A child generator for a named purpose, independent of how much this one has been used. */
  fork(label: string): Rng {
    return new Rng(`${this.seed}/${label}`);
  }
}
