import { formatDate } from '../format.ts';
import { UNIT_FIGURES, type MinisterReport } from './weekly-report-builder.ts';

/**
 * The headline outcomes week by week, from the frozen reports (oldest first):
 * a line chart and the same figures as a table. Only the frozen, rounded
 * figures are used, so the history reveals nothing the weekly reports do not.
 */
export function historyView(reports: MinisterReport[]) {
  const labels = reports.map((r) => formatDate(r.weekEnding).replace(/ \d{4}$/, ''));
  return {
    chart: {
      type: 'history',
      title: 'Outcomes across the unit, at the end of each week (rounded to the nearest 5; gaps are weeks with fewer than 10)',
      unit: 'people',
      labels,
      // People taking part are in the table; on the chart they would flatten every outcome.
      series: UNIT_FIGURES.filter((figure) => figure.key !== 'people').map((figure) => ({ label: figure.label, harm: figure.harm, values: reports.map((r) => r.unit[figure.key].value) })),
    },
    table: {
      head: [{ text: 'Week ending' }, ...UNIT_FIGURES.map((f) => ({ text: f.label, format: 'numeric' }))],
      rows: [...reports].reverse().map((r) => [{ text: formatDate(r.weekEnding) }, ...UNIT_FIGURES.map((f) => ({ text: r.unit[f.key].value === null ? '<10' : r.unit[f.key].text, format: 'numeric' }))]),
    },
  };
}
