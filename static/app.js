// The appliance's own script: draws uPlot charts from JSON embedded in the page (no inline scripts: CSP).
// A chart spec (appliance/web/charts.py) has x (seconds), series of bars or lines, a unit, a time zone and,
// for the day's energy, power lines on their own axis. Values below the axis are shown as magnitudes.
(function () {
  "use strict";

  function fmt(value, unit, magnitude) {
    if (value === null || value === undefined || isNaN(value)) { return "—"; }
    var digits = unit === "%" ? 0 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
    // Bars drawn below the axis (export, charging) are amounts, not negative numbers.
    return (magnitude ? Math.abs(value) : value).toFixed(digits).replace("-", "−") + " " + unit;
  }

  function merge(spec) {
    // One x array for bars and (optional) power lines: bars hold `undefined` where only a line has a point,
    // which uPlot skips when it sizes the bars.
    var lines = spec.lines;
    if (!lines) { return {x: spec.x, bars: spec.series.map(function (s) { return s.values; }), lines: []}; }
    var xs = spec.x.concat(lines.x).sort(function (a, b) { return a - b; });
    var x = xs.filter(function (v, i) { return i === 0 || v !== xs[i - 1]; });
    function place(srcX, values) {
      var at = {}; srcX.forEach(function (v, i) { at[v] = values[i]; });
      return x.map(function (v) { return Object.prototype.hasOwnProperty.call(at, v) ? at[v] : undefined; });
    }
    return {x: x, bars: spec.series.map(function (s) { return place(spec.x, s.values); }),
            lines: lines.series.map(function (s) { return place(lines.x, s.values); })};
  }

  function build(el, spec) {
    var data = merge(spec);
    var bars = typeof uPlot.paths.bars === "function";
    var series = [{}], columns = [data.x], narrow = el.clientWidth < 520;
    spec.series.forEach(function (s, i) {
      var unit = s.scale === "%" ? "%" : (s.scale || spec.unit);
      var item = {label: s.label, stroke: s.color, scale: s.scale || spec.unit, width: s.type === "bar" ? 0 : 1.6,
                  value: function (u, v) { return fmt(v, unit, s.type === "bar"); }, spanGaps: s.type !== "bar"};
      if (s.type === "bar" && bars) {
        item.fill = s.color; item.points = {show: false};
        item.paths = uPlot.paths.bars({size: [0.38, 60], align: s.align || 0});
      }
      series.push(item);
      columns.push(data.bars[i]);
    });
    if (spec.lines) {
      spec.lines.series.forEach(function (s, i) {
        series.push({label: s.label, stroke: s.color, width: 2, scale: spec.lines.unit, spanGaps: true,
                     points: {show: false}, value: function (u, v) { return fmt(v, spec.lines.unit, false); }});
        columns.push(data.lines[i]);
      });
    }
    var below = spec.series.some(function (s) { return s.below; });
    var axes = [{}, {scale: spec.unit, label: narrow ? null : spec.unit, size: narrow ? 46 : 56,
                     values: function (u, ticks) {
                       return ticks.map(function (t) {
                         var v = below ? Math.abs(t) : t;
                         return (Math.abs(v) >= 10000 ? (v / 1000) + "k" : String(+v.toFixed(2))).replace("-", "−");
                       });
                     }}];
    var scales = {x: spec.range ? {time: true, range: function () { return spec.range; }} : {time: true}};
    scales[spec.unit] = {range: function (u, min, max) {
      // Keep 0 on the axis: bars grow from it, and "out" bars go below it.
      var lo = Math.min(0, min === null ? 0 : min), hi = Math.max(0, max === null ? 1 : max);
      if (lo === hi) { hi = 1; }
      return [lo * 1.08, hi * 1.08];
    }};
    if (spec.series.some(function (s) { return s.scale === "%"; })) {
      axes.push({scale: "%", side: 1, label: "%", grid: {show: false}, size: 40});
      scales["%"] = {range: [0, 100]};
    }
    if (spec.lines) {
      axes.push({scale: spec.lines.unit, side: 1, label: narrow ? null : spec.lines.unit, grid: {show: false},
                 size: narrow ? 30 : 44});
      scales[spec.lines.unit] = {range: function (u, min, max) { return [0, Math.max(1, (max || 0) * 1.08)]; }};
    }
    // Times in the system's zone, 24-hour, year-month-day: the format of every page (appliance/timefmt.py).
    var tz = spec.timezone ? function (ts) { return uPlot.tzDate(new Date(ts * 1e3), spec.timezone); }
                           : function (ts) { return new Date(ts * 1e3); };
    var hhmm = uPlot.fmtDate("{HH}:{mm}"), mmdd = uPlot.fmtDate("{MM}-{DD}"), ym = uPlot.fmtDate("{YYYY}-{MM}"),
        full = uPlot.fmtDate("{YYYY}-{MM}-{DD} {HH}:{mm}"), day = uPlot.fmtDate("{YYYY}-{MM}-{DD}"),
        month = uPlot.fmtDate("{MMM} {YYYY}");
    var legendTime = {hour: function (d) { return hhmm(d) + "–" + hhmm(new Date(d.getTime() + 3600e3)); },
                      day: day, month: month}[spec.resolution] || full;
    axes[0] = {values: function (u, splits, axisIdx, space, incr) {
      var f = incr < 86400 ? hhmm : incr < 28 * 86400 ? mmdd : ym;
      return splits.map(function (t) { return f(tz(t)); });
    }};
    series[0] = {value: function (u, v) {
      if (v === null || v === undefined) { return "—"; }
      // Bars sit at the middle of their period: the legend names the period itself.
      var half = {hour: 1800, day: 43200, month: 15 * 86400}[spec.resolution] || 0;
      return legendTime(tz(v - (spec.resolution === "month" ? 0 : half)));
    }};
    var height = narrow ? 240 : 300;
    var opts = {width: Math.max(el.clientWidth - 16, 260), height: height, series: series, axes: axes, scales: scales,
                legend: {live: true}, cursor: {points: {show: false}}};
    if (spec.timezone) { opts.tzDate = tz; }
    return new uPlot(opts, columns, el);
  }

  function drawCharts(root) {
    if (typeof uPlot === "undefined") { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var source = document.getElementById(el.dataset.chart);
      if (!source) { return; }
      el.dataset.drawn = "1";
      var plot = build(el, JSON.parse(source.textContent));
      window.addEventListener("resize", function () {
        plot.setSize({width: Math.max(el.clientWidth - 16, 260), height: el.clientWidth < 520 ? 240 : 300});
      });
    });
  }

  function autosubmit(root) {
    // A select whose change makes the rest of its form stale (the history level) submits the form at once.
    root.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { if (el.form) { el.form.requestSubmit(); } });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); autosubmit(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
})();
