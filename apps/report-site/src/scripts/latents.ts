/**
 * The latent page: choosing a seed fetches that SAE's latents file (copied into the site's downloads at build time)
 * and draws its table from lib/latents-view.ts's cells; the first seed is shown on arrival. One file at a time.
 */
import type { Latents } from '@saelab/results';
import { latentColumns, latentRow, latentsSummary, type Cell } from '../lib/latents-view.js';

const root = document.querySelector<HTMLElement>('[data-latents]');
const buttons = [...document.querySelectorAll<HTMLButtonElement>('button[data-file]')];
const status = document.getElementById('latents-status')!;
const view = document.getElementById('latents-view')!;

function cell(tag: 'td' | 'th', lines: Cell[number][]): HTMLElement {
  const el = document.createElement(tag);
  lines.forEach((line, i) => {
    if (i > 0) el.append(document.createElement('br'));
    for (const s of line) {
      const node = s.mark ? document.createElement('mark') : s.strong ? document.createElement('strong') : null;
      if (node) {
        node.textContent = s.text;
        el.append(node);
      } else {
        el.append(document.createTextNode(s.text));
      }
    }
  });
  return el;
}

function draw(file: Latents): void {
  const summary = document.createElement('p');
  summary.textContent = latentsSummary(file);
  const table = document.createElement('table');
  table.className = 'latents';
  const caption = document.createElement('caption');
  caption.textContent = `Latents of the seed ${file.seed} SAE (${file.variant})`;
  const head = document.createElement('tr');
  for (const c of latentColumns(file)) {
    const th = cell('th', [[{ text: c }]]);
    th.setAttribute('scope', 'col');
    head.append(th);
  }
  const body = document.createElement('tbody');
  for (const l of file.latents) {
    const tr = document.createElement('tr');
    tr.dataset.latent = String(l.latent);
    latentRow(file, l).forEach((c, i) => tr.append(cell(i === 0 ? 'th' : 'td', c)));
    body.append(tr);
  }
  const thead = document.createElement('thead');
  thead.append(head);
  table.append(caption, thead, body);
  const wrap = document.createElement('div');
  wrap.className = 'table-wrap';
  wrap.append(table);
  view.replaceChildren(summary, wrap);
}

async function show(button: HTMLButtonElement): Promise<void> {
  for (const b of buttons) b.setAttribute('aria-pressed', String(b === button));
  status.textContent = `Loading the seed ${button.dataset.seed} SAE's latents…`;
  try {
    const response = await fetch(button.dataset.file!);
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    draw(await response.json() as Latents);
    status.textContent = '';
    root?.setAttribute('data-loaded', button.dataset.seed!);
  } catch (e) {
    status.textContent = `Could not load ${button.dataset.file}: ${(e as Error).message}`;
  }
}

for (const b of buttons) b.addEventListener('click', () => void show(b));
if (buttons[0]) void show(buttons[0]);
