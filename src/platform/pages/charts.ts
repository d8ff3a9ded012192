/**
 * Simple accessible bar charts (no script, no inline styles: the CSP forbids them). Each chart
 * is decorative next to a table of the same figures, which is what screen readers use: it is one
 * image with a name. Each bar is a row: its label is HTML text, in the page's own type size, that
 * wraps rather than being cut short (on a phone it stands above its bar), and the bar is a small
 * SVG stretched to the row's plot, its length a share of the longest.
 */

export interface Bar {
  label: string;
  value: number;
  ok?: boolean;
}

export interface ChartModel {
  /** pct: the bar's length, 0 to 100, a share of the chart's maximum */
  bars: { label: string; value: string; pct: number; cls: string }[];
}

export function barChart(bars: Bar[], o: { max?: number; unit?: string } = {}): ChartModel {
  const max = o.max ?? Math.max(1, ...bars.map((b) => b.value));
  return {
    bars: bars.map((b) => ({
      label: b.label,
      value: `${b.value}${o.unit ?? ''}`,
      pct: Math.max(0, Math.min(100, Math.round((b.value / max) * 1000) / 10)),
      cls: b.ok === undefined ? 'bar' : b.ok ? 'bar bar--ok' : 'bar bar--late',
    })),
  };
}
