// Draws the charts described by <script type="application/json" data-chart-for="canvas-id"> blocks.
// chart.js is loaded as a classic script (window.Chart). Each chart has a table of the same figures after it.

const COLOURS = ['#1d70b8', '#f47738', '#00703c', '#4c2c92', '#d4351c', '#28a197', '#912b88', '#505a5f'];
const FONT = { family: '"GDS Transport", arial, sans-serif', size: 14 };

function funnel(data) {
  return {
    type: 'bar',
    data: {
      labels: data.labels,
      datasets: data.datasets.map((set, i) => ({ label: set.label, data: set.data, backgroundColor: COLOURS[i % COLOURS.length] })),
    },
    options: {
      scales: { y: { beginAtZero: true, title: { display: true, text: '% of people assigned' } } },
    },
  };
}

// A forest plot: a horizontal bar from the low to the high end of each interval, and a point at the estimate.
function intervalChart(labels, estimates, intervals, extra, unit, intervalLabel = '95% interval', extraLabel = 'Always-valid interval') {
  const datasets = [
    { type: 'bar', label: intervalLabel, data: intervals, backgroundColor: 'rgba(29, 112, 184, 0.35)', borderColor: '#1d70b8', borderWidth: 1, barPercentage: 0.35 },
    { type: 'scatter', label: 'Estimate', data: estimates.map((x, i) => ({ x, y: labels[i] })), backgroundColor: '#0b0c0c', pointRadius: 6, pointStyle: 'rectRot' },
  ];
  if (extra) datasets.splice(1, 0, { type: 'bar', label: extraLabel, data: extra, backgroundColor: 'rgba(244, 119, 56, 0.25)', borderColor: '#f47738', borderWidth: 1, barPercentage: 0.35 });
  return {
    type: 'bar',
    data: { labels, datasets },
    options: {
      indexAxis: 'y',
      scales: {
        x: { title: { display: true, text: unit }, grid: { color: (ctx) => (ctx.tick && ctx.tick.value === 0 ? '#0b0c0c' : '#e5e5e5') } },
        y: { type: 'category', labels },
      },
    },
  };
}

function weekly(data) {
  const datasets = [];
  data.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    datasets.push({ label: series.label, data: series.difference, borderColor: colour, backgroundColor: colour, spanGaps: true });
    datasets.push({ label: `${series.label}: interval low`, data: series.low, borderColor: colour, borderDash: [4, 4], pointRadius: 0, borderWidth: 1, spanGaps: true, interval: true });
    datasets.push({ label: `${series.label}: interval high`, data: series.high, borderColor: colour, borderDash: [4, 4], pointRadius: 0, borderWidth: 1, spanGaps: true, interval: true });
  });
  return {
    type: 'line',
    data: { labels: data.labels, datasets },
    options: {
      scales: { y: { title: { display: true, text: `${data.unit} (dashed: the interval that decided each week)` } } },
      plugins: { legend: { position: 'bottom', labels: { filter: (item, chart) => !chart.datasets[item.datasetIndex].interval } } },
    },
  };
}

// Counts at the end of each week; withheld weeks (null) are gaps. Harms are dashed.
function history(data) {
  return {
    type: 'line',
    data: {
      labels: data.labels,
      datasets: data.series.map((series, i) => ({
        label: series.label,
        data: series.values,
        borderColor: COLOURS[i % COLOURS.length],
        backgroundColor: COLOURS[i % COLOURS.length],
        borderDash: series.harm ? [6, 4] : [],
        spanGaps: false,
      })),
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: data.unit } } } },
  };
}

function configFor(data) {
  if (data.type === 'history') return history(data);
  if (data.type === 'funnel') return funnel(data);
  if (data.type === 'forest') return intervalChart(data.labels, data.estimates, data.intervals, data.sequential, data.unit, data.intervalLabel, data.sequentialLabel);
  if (data.type === 'uplift') return intervalChart(data.labels, data.estimates, data.intervals, null, data.unit, 'Likely range');
  if (data.type === 'weekly') return weekly(data);
  return null;
}

export function drawCharts() {
  const Chart = window.Chart;
  if (!Chart) return;
  Chart.defaults.font = FONT;
  Chart.defaults.color = '#0b0c0c';
  for (const block of document.querySelectorAll('script[type="application/json"][data-chart-for]')) {
    const canvas = document.getElementById(block.dataset.chartFor);
    if (!canvas) continue;
    let data;
    try {
      data = JSON.parse(block.textContent);
    } catch {
      continue;
    }
    const config = configFor(data);
    if (!config) continue;
    config.options = {
      ...config.options,
      responsive: true,
      maintainAspectRatio: false,
      animation: window.matchMedia('(prefers-reduced-motion: reduce)').matches ? false : { duration: 300 },
      plugins: { legend: { position: 'bottom' }, ...(config.options?.plugins ?? {}) },
    };
    new Chart(canvas, config);
  }
}
