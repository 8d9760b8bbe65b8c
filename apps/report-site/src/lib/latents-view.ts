/**
 * A latents file as the latent page's table: text only, formatted from the file's numbers (nothing is computed here
 * but formatting). Shared by the page's browser script, which builds the DOM from it, and the tests.
 */
import type { LatentEntry, Latents, TopInput } from '@saelab/results';

/** A run of text, marked (the read position) or strong (the latent's matched true feature) where it says so. */
export interface Segment {
  text: string;
  mark?: true;
  strong?: true;
}
/** A table cell: lines of segments. */
export type Cell = Segment[][];

const plain = (text: string): Segment[] => [{ text }];
const digits = (x: number, n = 4) => Number(x.toPrecision(n)).toString();

/** Copy: the token sequence, special tokens by name, runs of one special token shortened, the read position marked. */
function sequence(tokens: number[], position: number, names: Record<string, string>): Segment[] {
  const out: Segment[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const label = names[tokens[i]!] ?? String(tokens[i]);
    if (i === position) {
      out.push({ text: label, mark: true });
      continue;
    }
    let run = 1;
    while (names[tokens[i]!] && i + run < tokens.length && i + run !== position && tokens[i + run] === tokens[i]) run++;
    out.push({ text: run > 1 ? `${label}×${run}` : label });
    i += run - 1;
  }
  return out.flatMap((s, i) => (i === 0 ? [s] : [{ text: ' ' }, s]));
}

/** One top input in the task's terms. */
export function inputSegments(file: Pick<Latents, 'inputs'>, input: TopInput, matched?: number): Segment[] {
  const { inputs } = file;
  if (inputs.kind === 'copy' && input.tokens) return sequence(input.tokens, inputs.position, inputs.names);
  if (inputs.kind === 'modular' && input.a !== undefined) return plain(`${input.a} + ${input.b}`);
  if (inputs.kind === 'synthetic' && input.features) {
    if (input.features.length === 0) return plain('no feature active');
    return [{ text: 'features ' }, ...input.features.flatMap((f, i): Segment[] => [
      ...(i > 0 ? [{ text: ', ' }] : []), f === matched ? { text: String(f), strong: true } : { text: String(f) }])];
  }
  return plain(`row ${input.row}`);
}

/** The table's column headings; the true-feature column only for a file whose latents have one. */
export function latentColumns(file: Latents): string[] {
  return ['Latent', 'Fires on', 'Mean activation when firing', 'Top activating inputs (value: input)',
    'Best match in each other seed (decoder cosine)',
    ...(file.latents.some((l) => l.truth) ? ['True feature (cosine)'] : [])];
}

/** One latent's row of cells. */
export function latentRow(file: Latents, l: LatentEntry): Cell[] {
  const percent = `${digits(100 * l.frequency, 3)}%`;
  const cells: Cell[] = [
    [plain(`#${l.latent}`), [{ text: l.chosen === 'frequent' ? 'most frequent' : 'random' }]],
    [plain(l.count === 0 ? 'never' : `${percent} of rows (${l.count.toLocaleString('en-US')})`)],
    [plain(l.meanActivation === null ? '–' : digits(l.meanActivation))],
    l.top.length === 0 ? [plain('–')]
      : l.top.map((t) => [{ text: `${digits(t.value)}: ` }, ...inputSegments(file, t, l.truth?.feature)]),
    l.matches.length === 0 ? [plain('–')]
      : l.matches.map((m) => plain(`seed ${m.seed}: #${m.latent} (${m.cosine.toFixed(3)})`)),
  ];
  if (file.latents.some((x) => x.truth)) {
    cells.push([plain(l.truth ? `${l.truth.feature} (${l.truth.cosine.toFixed(3)})` : '–')]);
  }
  return cells;
}

/** The sentence above the table: what the file holds and how its inputs read. */
export function latentsSummary(file: Latents): string {
  const { frequent, random } = file.selection;
  const shown = `${file.latents.length} of the SAE's ${file.dSae} latents (the ${frequent} that fire most often, `
    + `then ${random} drawn at random from the rest), over ${file.rows.toLocaleString('en-US')} activation rows.`;
  const how = file.inputs.kind === 'copy'
    ? ` An input is the token sequence the activation was read from, the read position (index ${file.inputs.position})`
      + ' highlighted.'
    : file.inputs.kind === 'modular' ? ` An input is the pair a + b (mod ${file.inputs.p}), read at position `
      + `${file.inputs.position}.`
    : file.inputs.kind === 'synthetic' ? ` An input is the sample's active true features (of ${file.inputs.features}),`
      + ' the latent\'s matched feature in bold.'
    : ' An input is its row of the activation matrix.';
  return shown + how;
}
