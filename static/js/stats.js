// Draws the statistics charts from the numbers the page embeds with json_script.
// The same numbers are in the tables under each chart, for screen readers and printing.
(function () {
  "use strict";
  // Printing shows every table: browsers keep a closed <details> closed on paper, whatever
  // the print stylesheet says, so the closed ones are opened for the print and closed after.
  var openedForPrint = [];
  function openTables() {
    document.querySelectorAll(".chart-section details:not([open])").forEach(function (details) {
      details.open = true;
      openedForPrint.push(details);
    });
  }
  function restoreTables() {
    openedForPrint.forEach(function (details) {
      details.open = false;
    });
    openedForPrint = [];
  }
  window.addEventListener("beforeprint", openTables);
  window.addEventListener("afterprint", restoreTables);
  var printMedia = window.matchMedia && window.matchMedia("print");
  if (printMedia && printMedia.addEventListener) {
    printMedia.addEventListener("change", function (event) {
      (event.matches ? openTables : restoreTables)();
    });
  }

  var source = document.getElementById("chart-data");
  if (!source || !window.Chart) {
    return;
  }
  var charts = JSON.parse(source.textContent);
  var palette = ["#b3001b", "#1d4e89", "#e09f3e", "#2e7d32", "#6a4c93", "#00838f", "#795548"];
  // Long names on several lines (Chart.js draws an array as lines), so on a phone they are
  // not cut off at the edge of the canvas.
  function wrap(label, width) {
    var lines = [];
    String(label)
      .split(/\s+/)
      .forEach(function (word) {
        var last = lines.length - 1;
        if (last >= 0 && (lines[last] + " " + word).length <= width) {
          lines[last] += " " + word;
        } else {
          lines.push(word);
        }
      });
    return lines.length > 1 ? lines : label;
  }
  // One chart per task: the page stays responsive on a slow phone while they are drawn
  // (all six in one go blocked it for over a second, and made the browser lay the whole
  // page out again for each chart).
  var queue = Array.prototype.slice.call(document.querySelectorAll("canvas[data-chart]"));
  function drawNext() {
    var canvas = queue.shift();
    if (canvas) {
      draw(canvas);
      setTimeout(drawNext, 0);
    }
  }
  setTimeout(drawNext, 0);
  function draw(canvas) {
    var spec = charts[canvas.dataset.chart];
    if (!spec) {
      return;
    }
    var stacked = spec.type === "stacked";
    var horizontal = !stacked && spec.labels.length > 5;
    var narrow = canvas.parentElement.clientWidth < 576;
    var labels = stacked
      ? spec.labels
      : spec.labels.map(function (label) {
          return wrap(label, narrow ? 16 : 28);
        });
    var datasets = spec.datasets.map(function (dataset, index) {
      return {
        label: dataset.label,
        data: dataset.data,
        backgroundColor: stacked ? palette[index % palette.length] : palette[1],
      };
    });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
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
  }
})();
