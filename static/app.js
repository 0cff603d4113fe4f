// The appliance's own script: draws uPlot charts from JSON embedded in the page (no inline scripts: CSP).
(function () {
  "use strict";
  var COLORS = ["#e0a100", "#c0504d", "#5b6bd1", "#2f8f5b", "#8a5cc2", "#0b6bcb", "#b26a00", "#555"];

  function drawCharts(root) {
    if (typeof uPlot === "undefined") { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var source = document.getElementById(el.dataset.chart);
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var series = [{}], columns = [data.ts];
      data.series.forEach(function (s, i) {
        var percent = /_pct$/.test(s.label);
        series.push({label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, scale: percent ? "%" : "W"});
        columns.push(s.values);
      });
      var opts = {width: Math.max(el.clientWidth - 16, 280), height: 320, series: series,
        axes: [{}, {scale: "W", label: "W"}, {scale: "%", side: 1, label: "%", grid: {show: false}}],
        scales: {"%": {range: [0, 100]}}};
      if (data.timezone) {
        // Label times in the system's zone (uPlot's own helper), whatever zone the browser is in.
        opts.tzDate = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), data.timezone); };
      }
      el.dataset.drawn = "1";
      var plot = new uPlot(opts, columns, el);
      window.addEventListener("resize", function () { plot.setSize({width: Math.max(el.clientWidth - 16, 280), height: 320}); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
})();
