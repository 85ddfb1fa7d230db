// Dashboard charts (Executive, Drivers & insights, Score accuracy): every <canvas data-chart="key"> is drawn with the
// vendored Chart.js from the page's #charts-data entry of that key. Without JavaScript the table that
// carries data-chart-table="key" stays visible instead; once drawn, the table is kept for screen readers
// and folded away under a "Show the numbers" toggle.
const TIER_COLOURS = {
  "Thriving": "#0a6b3a", "Healthy": "#4caf50", "At risk": "#f0a000", "High risk": "#e4572e",
  "Critical": "#8e1b10", "No data": "#b0b7c3",
};
const PALETTE = ["#2563eb", "#c62828", "#6b7280", "#a86400", "#0a6b3a", "#7c3aed", "#0891b2"];

function money(value) {
  return "$" + Math.round(value).toLocaleString("en-US");
}

function dataset(spec, index, labels) {
  const colour = spec.tier ? TIER_COLOURS[spec.tier] : spec.color || PALETTE[index % PALETTE.length];
  const drawn = { label: spec.label, data: spec.data, borderColor: colour, backgroundColor: colour, spanGaps: true };
  if (spec.tiers) drawn.backgroundColor = drawn.borderColor = labels.map((tier) => TIER_COLOURS[tier]);
  return drawn;
}

function options(chart) {
  const axis = chart.horizontal ? "x" : "y";
  const ticks = chart.money ? { callback: money } : chart.percent ? { callback: (v) => v + "%" } : { precision: 0 };
  if (chart.type === "doughnut") return { animation: false, responsive: true, maintainAspectRatio: false };
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    indexAxis: chart.horizontal ? "y" : "x",
    interaction: { mode: "index", intersect: false },
    scales: {
      x: { stacked: !!chart.stacked, ...(axis === "x" ? { beginAtZero: true, ticks } : {}) },
      y: { stacked: !!chart.stacked, ...(axis === "y" ? { beginAtZero: true, ticks } : {}) },
    },
  };
}

function drawCharts() {
  const source = document.getElementById("charts-data");
  if (!source || !window.Chart) return;
  const charts = JSON.parse(source.textContent);
  document.querySelectorAll("canvas[data-chart]:not([data-drawn])").forEach((canvas) => {
    const chart = charts[canvas.dataset.chart];
    if (!chart) return;
    new window.Chart(canvas, {
      type: chart.type,
      data: { labels: chart.labels, datasets: chart.datasets.map((spec, i) => dataset(spec, i, chart.labels)) },
      options: options(chart),
    });
    canvas.dataset.drawn = "true";
    const table = document.querySelector(`[data-chart-table="${canvas.dataset.chart}"]`);
    if (table && !table.closest("details")) {
      const fold = document.createElement("details");
      const label = document.createElement("summary");
      label.textContent = "Show the numbers";
      table.replaceWith(fold);
      fold.append(label, table);
    }
  });
}

document.addEventListener("DOMContentLoaded", drawCharts);
// Pages that swap their charts in with HTMX (Score accuracy) bring new canvases and data: draw those too.
document.addEventListener("htmx:afterSettle", drawCharts);
