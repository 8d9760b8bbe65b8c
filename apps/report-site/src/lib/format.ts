/**
 * How numbers are written on the site. Units stay outside the number (except %), so the text
 * parses back to the value. Formatting only: rounding for display, never arithmetic
 * on the science. Every style keeps enough digits that the value can be checked against
 * results.json by eye (and by the end-to-end test, which re-parses the text).
 */
import type { NumberStyle } from '@saelab/results';

// The styles (named in @saelab/results, since a claim's verdict says how its numbers are written):
// - pwmcc 0.3061: cosines and PWMCC, 4 decimals (the report's 3 hide the differences that matter)
// - fixed2 4.49: losses, L0, test statistics; fixed3 0.181
// - ev 0.99412: explained variance, 5 decimals (the report's range is 0.9940-0.9944)
// - percent 2.5%: fractions shown as percentages, 1 decimal
// - p: p-values, 3 significant digits, scientific below 0.001
// - int: 10,000 -> 10000 (no separators, so the text parses back)
export type { NumberStyle };

/** The display text of `value` in `style`. */
export function formatNumber(value: number, style: NumberStyle = 'pwmcc'): string {
  if (!Number.isFinite(value)) return String(value);
  switch (style) {
    case 'pwmcc': return value.toFixed(4);
    case 'fixed2': return value.toFixed(2);
    case 'fixed3': return value.toFixed(3);
    case 'ev': return value.toFixed(5);
    case 'percent': return `${(100 * value).toFixed(1)}%`;
    case 'p': return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential(2) : value.toPrecision(3);
    case 'int': return Math.round(value).toString();
  }
}

/** "a, b and c" */
export function listInWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
