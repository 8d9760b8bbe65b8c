/**
 * Latent pages (what SAELens and Neuronpedia users look at): one file per SAE, `<task>/latents-seed<seed>.json` in a
 * run's folder, written by the experiment's analysis (or `npx saelab latents <dir>` for a committed run), so a reader
 * loads one SAE at a time. For a bounded selection of latents (the most frequent, then a seeded random draw of the
 * rest) it holds how often each fires, its mean activation when it fires, its top activating inputs in the task's own
 * terms, its best match in each other seed's decoder and, for a task with known features, the true feature it matches.
 * Numbers are rounded to 6 significant digits, so the file is small and the same inputs give the same bytes.
 */
import { z } from 'zod';

export const LATENTS_SCHEMA_VERSION = 1;

/** Where a run's latents file for one SAE sits, relative to the run's folder. */
export const latentsFile = (task: string, seed: number) => `${task}/latents-seed${seed}.json`;

const num = z.number();
const int = z.number().int();

/**
 * How a task's inputs are shown: `copy`, the whole token sequence with the read position marked (token ids; `names`
 * gives the special tokens' names, e.g. { "20": "SEP", "21": "PAD" }); `modular`, the pair a + b; `synthetic`, the true
 * features active in the sample; `rows`, only the activation row.
 */
export const LatentInputsSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('copy'), position: int, names: z.record(z.string(), z.string()) }),
  z.object({ kind: z.literal('modular'), position: int, p: int }),
  z.object({ kind: z.literal('synthetic'), features: int }),
  z.object({ kind: z.literal('rows') }),
]);

/** One of a latent's top activating inputs: its activation row, the latent's value there, and the input itself. */
export const TopInputSchema = z.object({
  row: int, // the row of the task's activation matrix
  value: num,
  tokens: z.array(int).optional(), // copy: the sequence
  a: int.optional(), // modular: the pair a + b
  b: int.optional(),
  features: z.array(int).optional(), // synthetic: the true features active in the sample, in index order
});

export const LatentEntrySchema = z.object({
  latent: int,
  /** Why it is in the file: among the most frequent, or drawn at random from the rest. */
  chosen: z.enum(['frequent', 'random']),
  count: int, // rows the latent is nonzero on
  frequency: num, // count / rows
  meanActivation: num.nullable(), // mean value where nonzero; null for a latent that never fires
  top: z.array(TopInputSchema), // largest values first (ties: lower row first); at most `topInputs`
  /** Per other seed: the latent whose decoder row has the largest |cos| with this one's, and that cosine (signed). */
  matches: z.array(z.object({ seed: int, latent: int, cosine: num })),
  /** A task with known features: the true feature with the largest |cos| with the decoder row, and the cosine. */
  truth: z.object({ feature: int, cosine: num }).optional(),
});

export const LatentsSchema = z.object({
  schemaVersion: z.literal(LATENTS_SCHEMA_VERSION),
  config: z.string(),
  task: z.string(),
  kind: z.string(),
  seed: int,
  variant: z.string(),
  dSae: int,
  rows: int, // activation rows the frequencies are counted over
  selection: z.object({ frequent: int, random: int, topInputs: int, rngLabel: z.string() }),
  inputs: LatentInputsSchema,
  latents: z.array(LatentEntrySchema),
});
export type Latents = z.infer<typeof LatentsSchema>;
export type LatentEntry = z.infer<typeof LatentEntrySchema>;
export type TopInput = z.infer<typeof TopInputSchema>;

/** Validates a latents file (`source` names it in the error). */
export function parseLatents(raw: unknown, source: string): Latents {
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== LATENTS_SCHEMA_VERSION) {
    throw new Error(`${source} has latents schema version ${String(version)}; this reader needs `
      + `${LATENTS_SCHEMA_VERSION}. Write it again with \`npx saelab latents <results folder>\`.`);
  }
  const parsed = LatentsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 10).map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
  throw new Error(`${source} is not a valid saelab latents file:\n${issues.join('\n')}\n`
    + 'Write it again with `npx saelab latents <results folder>`.');
}
