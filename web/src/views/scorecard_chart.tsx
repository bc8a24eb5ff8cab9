// A supplier's incidents and resolutions month by month, as paired bars (SVG); the scorecard
// table under it has every figure, so the chart's label only sums it up.
import { scorecardBars, type ScorecardPeriod } from "../supplier";

export function ScorecardChart({ periods }: { periods: ScorecardPeriod[] }) {
  const { bars, top } = scorecardBars(periods);
  const bar = 14;
  const group = 2 * bar + 16;
  const left = 36;
  const plotTop = 12;
  const plot = 140;
  const width = left + bars.length * group + 10;
  const height = plotTop + plot + 30;
  const yOf = (n: number) => plotTop + plot - (n / top) * plot;
  const busiest = bars.reduce((a, b) => (b.incidents > a.incidents ? b : a), bars[0] ?? { month: "", incidents: 0, resolved: 0 });
  const total = bars.reduce((s, b) => s + b.incidents, 0);
  return (
    <svg
      class="chart"
      role="img"
      aria-label={`Incidents and resolutions per month: ${total} incident${total === 1 ? "" : "s"} in ${bars.length} months${total ? `, most in ${busiest.month} (${busiest.incidents})` : ""}.`}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
    >
      {[0, top / 2, top].filter(Number.isInteger).map((t) => (
        <g key={t}>
          <line class="grid" x1={left} x2={width - 10} y1={yOf(t)} y2={yOf(t)} />
          <text x={left - 6} y={yOf(t) + 4} text-anchor="end">
            {t}
          </text>
        </g>
      ))}
      {bars.map((b, i) => {
        const x = left + 8 + i * group;
        return (
          <g key={b.month} data-month={b.month}>
            <rect class="bar-incidents" x={x} y={yOf(b.incidents)} width={bar} height={plotTop + plot - yOf(b.incidents)}>
              <title>{`${b.month}: ${b.incidents} incidents`}</title>
            </rect>
            <rect class="bar-resolved" x={x + bar} y={yOf(b.resolved)} width={bar} height={plotTop + plot - yOf(b.resolved)}>
              <title>{`${b.month}: ${b.resolved} resolved`}</title>
            </rect>
            <text x={x + bar} y={plotTop + plot + 16} text-anchor="middle">
              {b.month.slice(2)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
