/**
 * Drawing for the playground page: line charts as SVG polylines, the |cos| heatmap on a canvas, and numbers
 * written with their full value in `data-value` (the end-to-end test compares those with a Node run).
 */
import type { Heatmap, SaeResult } from './playground-core.js';

const SVG = 'http://www.w3.org/2000/svg';
/** One colour per seed (up to five SAEs). */
export const SEED_COLOURS = ['#2457a6', '#d95f02', '#1b9e77', '#7570b3', '#e7298a'];

export interface Series {
  xs: number[];
  ys: number[];
  colour?: string;
  cls?: string;
}

/** Replaces an SVG's content with polylines of the series, scaled into its 320 x 180 box (y over yRange). */
export function drawLines(svg: SVGSVGElement, series: Series[], yRange?: [number, number]): void {
  const [w, h, pad] = [320, 180, 8];
  const xs = series.flatMap((s) => s.xs);
  const ys = series.flatMap((s) => s.ys).filter(Number.isFinite);
  if (xs.length === 0 || ys.length === 0) { svg.replaceChildren(); return; }
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = yRange ?? [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (w - 2 * pad);
  const sy = (y: number) => h - pad - ((y - y0) / (y1 - y0 || 1)) * (h - 2 * pad);
  svg.replaceChildren(...series.filter((s) => s.xs.length > 0).map((s) => {
    const line = document.createElementNS(SVG, 'polyline');
    const points = s.xs.map((x, i) => [x, s.ys[i]!] as const).filter(([, y]) => Number.isFinite(y));
    line.setAttribute('points', points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' '));
    if (s.colour) line.setAttribute('stroke', s.colour);
    if (s.cls) line.setAttribute('class', s.cls);
    return line;
  }));
}

/** Writes `value` into an element, rounded for reading, with the full value in data-value. */
export function setNumber(el: Element, value: number, digits = 4): void {
  el.textContent = Number.isFinite(value) ? value.toFixed(digits) : String(value);
  el.setAttribute('data-value', String(value));
}

/** The heatmap on a canvas, one pixel block per cell: white at |cos| 0, dark blue at 1. */
export function drawHeatmap(canvas: HTMLCanvasElement, map: Heatmap): void {
  const cell = Math.max(1, Math.min(6, Math.floor(640 / Math.max(map.cols, map.rows / 2))));
  canvas.width = map.cols * cell;
  canvas.height = map.rows * cell;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const image = ctx.createImageData(canvas.width, canvas.height);
  for (let r = 0; r < map.rows; r++) {
    for (let c = 0; c < map.cols; c++) {
      const v = Math.min(1, Math.max(0, map.values[r * map.cols + c]!));
      const rgb = [255 - v * (255 - 16), 255 - v * (255 - 48), 255 - v * (255 - 110)];
      for (let dy = 0; dy < cell; dy++) {
        for (let dx = 0; dx < cell; dx++) {
          const p = 4 * ((r * cell + dy) * canvas.width + c * cell + dx);
          image.data.set([rgb[0]!, rgb[1]!, rgb[2]!, 255], p);
        }
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  canvas.dataset.rows = String(map.rows);
  canvas.dataset.cols = String(map.cols);
}

/** One row of the SAE table: seed, loss, L0, EV, dead, then the truth scores and the step time. */
export function saeRow(r: SaeResult, colour: string): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.dataset.seed = String(r.seed);
  const cells: [string, number, number][] = [
    ['loss', r.loss, 4], ['l0', r.l0, 2], ['ev', r.explainedVariance, 4], ['dead', r.deadFraction, 3],
    ['mmcs', r.truth.mmcs, 4], ['recovered90', r.truth.recovered90, 3], ['recovered99', r.truth.recovered99, 3],
    ['matched', r.truth.matchedCosine, 4], ['step-ms', r.stepMs, 2],
  ];
  const seed = document.createElement('th');
  seed.scope = 'row';
  seed.textContent = String(r.seed);
  seed.style.color = colour;
  row.append(seed, ...cells.map(([name, value, digits]) => {
    const td = document.createElement('td');
    td.className = 'num';
    td.dataset.metric = name;
    setNumber(td, value, digits);
    return td;
  }));
  return row;
}
