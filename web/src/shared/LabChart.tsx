/**
 * One lab code over time (Chart.js, loaded only with the lab pages): the numeric results,
 * oldest first, with the reference range shaded behind them. Out-of-range points are drawn as
 * triangles (▲ high, ▼ low), not only in another colour.
 */
import type { ChartDataset, PointStyle } from 'chart.js'
import { Line } from 'react-chartjs-2'
import type { LabTrend } from '../api/types'
import { formatDateTime } from '../components/format'
import { INTERPRETATION, formatRange } from './labs'
// VitalChart's module registers the Chart.js pieces both charts use.
import { bandedLineOptions, bandsPlugin, type ShadedBand } from './VitalChart'

/** A band with an open side reaches past the plot (the bands plugin clips to the chart area). */
const FAR = 1e12

export default function LabChart({ trend }: { trend: LabTrend }) {
  const { points, referenceRange: range } = trend
  const labels = points.map((p) => formatDateTime(p.effectiveAt))
  const bands: ShadedBand[] =
    range && (range.low !== undefined || range.high !== undefined) ? [{ low: range.low ?? -FAR, high: range.high ?? FAR, color: 'rgba(8, 127, 91, 0.12)' }] : []
  const style = (i: string | null): PointStyle => (i === 'H' || i === 'HH' ? 'triangle' : i === 'L' || i === 'LL' ? 'rectRot' : 'circle')
  const dataset: ChartDataset<'line', number[]> = {
    label: trend.display ?? trend.code,
    data: points.map((p) => p.value),
    borderColor: '#087f5b',
    backgroundColor: points.map((p) => (p.interpretation && INTERPRETATION[p.interpretation].outOfRange ? '#c92a2a' : '#087f5b')),
    pointStyle: points.map((p) => style(p.interpretation)),
    pointRadius: points.map((p) => (p.interpretation && INTERPRETATION[p.interpretation].outOfRange ? 6 : 3)),
    tension: 0.2,
  }
  const values = [...points.map((p) => p.value), ...(range?.low !== undefined ? [range.low] : []), ...(range?.high !== undefined ? [range.high] : [])]
  const pad = (Math.max(...values) - Math.min(...values)) * 0.1 || 1
  const outOfRange = points.filter((p) => p.interpretation && INTERPRETATION[p.interpretation].outOfRange).length
  const rangeText = formatRange(range)
  const label =
    `${trend.display ?? trend.code} chart, ${points.length} results${trend.unit ? ` in ${trend.unit}` : ''}.` +
    (rangeText ? ` Shaded: reference range ${rangeText}.` : '') +
    ` ${outOfRange} outside the reference range.`
  return (
    <div className="chart-box" data-testid="lab-chart">
      <Line
        aria-label={label}
        role="img"
        data={{ labels, datasets: [dataset] }}
        plugins={[bandsPlugin]}
        options={bandedLineOptions(bands, trend.unit ?? '', Math.min(...values) - pad, Math.max(...values) + pad, false)}
      />
    </div>
  )
}
