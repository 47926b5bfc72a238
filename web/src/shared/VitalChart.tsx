/**
 * One vital type over time (Chart.js, loaded only with the vitals pages), with the
 * reference band shaded behind the readings across the whole plot. Blood pressure draws
 * systolic and diastolic, each with its band.
 */
import {
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
  type Plugin,
} from 'chart.js'
import { Line } from 'react-chartjs-2'
import type { Vital, VitalType } from '../api/types'
import { formatDateTime } from '../components/format'
import { unitLabel, VITALS, type Band } from './vitals'

ChartJS.register(CategoryScale, LinearScale, PointElement, LineElement, Tooltip, Legend)

export interface ShadedBand extends Band {
  color: string
}

/** Paints each band as a horizontal strip behind the datasets. */
export const bandsPlugin: Plugin<'line', { bands?: ShadedBand[] }> = {
  id: 'referenceBands',
  beforeDatasetsDraw(chart, _args, options) {
    const y = chart.scales.y
    if (!y || !options.bands) return
    const { left, right, top, bottom } = chart.chartArea
    const ctx = chart.ctx
    ctx.save()
    for (const band of options.bands) {
      const y1 = Math.max(top, Math.min(bottom, y.getPixelForValue(band.high)))
      const y2 = Math.max(top, Math.min(bottom, y.getPixelForValue(band.low)))
      ctx.fillStyle = band.color
      ctx.fillRect(left, y1, right - left, y2 - y1)
    }
    ctx.restore()
  },
}

type DS = ChartDataset<'line', (number | null)[]>

/** Options of a line chart over time with `bands` shaded (see `bandsPlugin`), the y axis titled `unit` (none when empty) from `min` to `max` at least. */
export function bandedLineOptions(bands: ShadedBand[], unit: string, min: number, max: number, legend = true): ChartOptions<'line'> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: 'index', intersect: false },
    plugins: {
      // @ts-expect-error: options of our own plugin
      referenceBands: { bands },
      legend: { display: legend },
    },
    scales: {
      x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 5 } },
      y: { title: { display: unit !== '', text: unit }, suggestedMin: min, suggestedMax: max },
    },
  }
}

export default function VitalChart({ type, items }: { type: VitalType; items: Vital[] }) {
  const meta = VITALS[type]
  const sorted = [...items].sort((a, b) => a.measuredAt.localeCompare(b.measuredAt))
  const labels = sorted.map((v) => formatDateTime(v.measuredAt))
  const datasets: DS[] = []
  const bands: ShadedBand[] = []
  if (type === 'blood_pressure') {
    if (meta.bands) {
      bands.push({ ...meta.bands.systolic, color: 'rgba(8, 127, 91, 0.12)' }, { ...meta.bands.diastolic, color: 'rgba(24, 100, 171, 0.12)' })
    }
    datasets.push({ label: 'Systolic', data: sorted.map((v) => v.systolic ?? null), borderColor: '#087f5b', backgroundColor: '#087f5b', tension: 0.2 })
    datasets.push({ label: 'Diastolic', data: sorted.map((v) => v.diastolic ?? null), borderColor: '#1864ab', backgroundColor: '#1864ab', tension: 0.2 })
  } else {
    if (meta.band) bands.push({ ...meta.band, color: 'rgba(8, 127, 91, 0.12)' })
    datasets.push({ label: meta.label, data: sorted.map((v) => v.value ?? null), borderColor: '#087f5b', backgroundColor: '#087f5b', tension: 0.2 })
  }
  const values = datasets.flatMap((d) => d.data.filter((v): v is number => typeof v === 'number'))
  const lows = [...values, ...bands.map((b) => b.low)]
  const highs = [...values, ...bands.map((b) => b.high)]
  const pad = (Math.max(...highs) - Math.min(...lows)) * 0.1 || 5
  const unit = unitLabel(type, sorted[0]?.unit ?? meta.unit)
  const bandText = bands.length ? ` Shaded: reference range ${type === 'blood_pressure' ? `${meta.bands?.systolic.low}–${meta.bands?.systolic.high} / ${meta.bands?.diastolic.low}–${meta.bands?.diastolic.high}` : `${meta.band?.low}–${meta.band?.high}`} ${unit}.` : ''
  return (
    <div className="chart-box">
      <Line
        aria-label={`${meta.label} chart, ${sorted.length} readings.${bandText}`}
        role="img"
        data={{ labels, datasets }}
        plugins={[bandsPlugin]}
        options={bandedLineOptions(bands, unit, Math.min(...lows) - pad, Math.max(...highs) + pad)}
      />
    </div>
  )
}
