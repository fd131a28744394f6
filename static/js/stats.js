// Draws the statistics charts from the numbers the page embeds with json_script.
// The same numbers are in the tables under each chart, for screen readers and printing.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.Chart) {
    return;
  }
  var charts = JSON.parse(source.textContent);
  var palette = ["#b3001b", "#1d4e89", "#e09f3e", "#2e7d32", "#6a4c93", "#00838f", "#795548"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = charts[canvas.dataset.chart];
    if (!spec) {
      return;
    }
    var stacked = spec.type === "stacked";
    var horizontal = !stacked && spec.labels.length > 5;
    var datasets = spec.datasets.map(function (dataset, index) {
      return {
        label: dataset.label,
        data: dataset.data,
        backgroundColor: stacked ? palette[index % palette.length] : palette[1],
      };
    });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: stacked, position: "bottom" } },
        scales: {
          x: { stacked: stacked, ticks: { precision: 0 } },
          y: { stacked: stacked, ticks: { precision: 0 } },
        },
      },
    });
    canvas.dataset.drawn = "true";
  });
})();
