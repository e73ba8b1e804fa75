// 统计分析: draws the dashboard's charts with Chart.js (served from this site) from the JSON
// the page carries, and makes every bar open the list of the rows it counts. Without this
// file or the library, the data tables under each chart carry the same numbers and links.
(function () {
  "use strict";

  var COLOURS = ["#1f3a5f", "#b3261e", "#4a7db8", "#e0a030", "#5b8c5a", "#8a6fb0"];
  var FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source) return;
        source.select();
        var done = function () {
          var label = button.textContent;
          button.textContent = "已复制";
          setTimeout(function () { button.textContent = label; }, 1500);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(source.value).then(done);
        } else if (document.execCommand("copy")) {
          done();
        }
      });
    });
  }

  function options(key, chart) {
    var horizontal = key === "category" || key === "region";
    return {
      indexAxis: horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "nearest", intersect: true },
      plugins: {
        legend: {
          display: chart.series.length > 1,
          position: "bottom",
          labels: { sort: function (a, b) { return a.datasetIndex - b.datasetIndex; } }
        },
        tooltip: { callbacks: { footer: function () { return "点击查看对应事项"; } } }
      },
      scales: {
        x: { beginAtZero: true, ticks: { precision: 0, autoSkip: !horizontal } },
        y: { beginAtZero: true, ticks: { precision: 0, autoSkip: false } }
      },
      onHover: function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      },
      onClick: function (event, elements) {
        if (!elements.length) return;
        var link = chart.series[elements[0].datasetIndex].links[elements[0].index];
        if (link) window.location.href = link;
      }
    };
  }

  function draw(canvas, key, chart) {
    var datasets = chart.series.map(function (series, index) {
      var line = series.key === "repeat_contacts";
      return {
        type: line ? "line" : "bar",
        label: series.label,
        data: series.data,
        backgroundColor: COLOURS[index % COLOURS.length],
        borderColor: COLOURS[index % COLOURS.length],
        borderWidth: line ? 2 : 0,
        pointRadius: line ? 4 : 0,
        order: line ? 0 : 1
      };
    });
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: chart.labels, datasets: datasets },
      options: options(key, chart)
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    copyButtons();
    var source = document.getElementById("stats-charts");
    if (!source || !window.Chart) return;
    window.Chart.defaults.font.family = FONT;
    window.Chart.defaults.font.size = 12;
    var charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var key = canvas.getAttribute("data-chart");
      if (charts[key] && charts[key].labels.length) draw(canvas, key, charts[key]);
    });
  });
})();
