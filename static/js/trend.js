// The Account 360 trend chart: health and churn risk over the last 90 days, drawn with the vendored
// Chart.js from the points the page carries (#trend-data). Without JavaScript the table stays.
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("trend-chart");
  const data = document.getElementById("trend-data");
  if (!canvas || !data || !window.Chart) return;
  const trend = JSON.parse(data.textContent);
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: trend.dates,
      datasets: [
        { label: "Health score", data: trend.health, borderColor: "#2e7d32", backgroundColor: "#2e7d32", spanGaps: true },
        { label: "Churn risk", data: trend.risk, borderColor: "#c62828", backgroundColor: "#c62828", spanGaps: true },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { min: 0, max: 100 } },
      interaction: { mode: "index", intersect: false },
    },
  });
  canvas.dataset.drawn = "true";
  const table = document.getElementById("trend-table");
  if (table) table.hidden = true;
});
