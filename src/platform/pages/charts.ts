/**
 * Simple accessible bar charts as inline SVG (no script, no inline styles: the CSP forbids
 * them). Each chart is decorative next to a table of the same figures, which is what screen
 * readers use; the SVG has a title and role="img".
 */

export interface Bar {
  label: string;
  value: number;
  ok?: boolean;
}

export interface ChartModel {
  width: number;
  height: number;
  bars: { y: number; width: number; label: string; value: string; cls: string; textX: number }[];
}

export function barChart(bars: Bar[], o: { max?: number; unit?: string } = {}): ChartModel {
  const labelWidth = 220;
  const plot = 360;
  const rowHeight = 28;
  const max = o.max ?? Math.max(1, ...bars.map((b) => b.value));
  return {
    width: labelWidth + plot + 60,
    height: Math.max(1, bars.length) * rowHeight + 8,
    bars: bars.map((b, i) => {
      const width = Math.round((b.value / max) * plot);
      return {
        y: i * rowHeight + 4,
        width,
        label: b.label.length > 30 ? `${b.label.slice(0, 29)}…` : b.label,
        value: `${b.value}${o.unit ?? ''}`,
        cls: b.ok === undefined ? 'bar' : b.ok ? 'bar bar--ok' : 'bar bar--late',
        textX: labelWidth + width + 6,
      };
    }),
  };
}
