// 监管看板: draws each chart of the json_script data with the vendored Apache ECharts.
// No inline script (CSP: scripts from this origin only); the tables under each chart
// carry the same numbers for screen readers, printing and CSV export.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  data.charts.forEach(function (chart) {
    var node = document.querySelector('[data-chart="' + chart.id + '"]');
    if (!node) { return; }
    var instance = echarts.init(node, null, { renderer: "canvas" });
    instance.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 48 },
      xAxis: { type: "category", data: chart.categories, axisLabel: { rotate: chart.kind === "line" ? 45 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: chart.series.map(function (s) {
        return { name: s.name, type: chart.kind, data: s.data };
      })
    });
    node.setAttribute("data-rendered", "1");
    window.addEventListener("resize", function () { instance.resize(); });
  });
})();
