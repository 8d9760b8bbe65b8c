/**
 * Observable Plot, run at build time: charts are drawn into a jsdom document and shipped as
 * static SVG, so the report needs no JavaScript. Every chart has an aria label and a text
 * description; the page adds a title and a caption around it.
 */
import * as Plot from '@observablehq/plot';
import { JSDOM } from 'jsdom';

/** A rendered chart: its markup, and the same content in words for readers who cannot see it. */
export interface Chart {
  html: string;
  description: string;
}

let document: Document | undefined;

/** One jsdom document for the whole build (creating one is the slow part). */
function serverDocument(): Document {
  document ??= new JSDOM('<!doctype html><html><body></body></html>').window.document;
  return document;
}

/**
 * Draws a Plot chart to markup; `label` and `description` become its text alternative. A chart
 * with a colour legend comes back as Plot's <figure> holding the swatches and the SVG.
 */
export function renderPlot(label: string, description: string, options: Plot.PlotOptions): Chart {
  const doc = serverDocument();
  const svg = Plot.plot({ ...options, document: doc, ariaLabel: label, ariaDescription: description });
  return { html: svg.outerHTML, description };
}

/** Numbers inside chart labels and descriptions: the same rounding as the page text. */
export const f4 = (v: number) => v.toFixed(4);
export const f3 = (v: number) => v.toFixed(3);
