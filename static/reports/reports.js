/* Report pages: trend and bar charts (ECharts), the heat map (Leaflet, no tiles), and the
   export progress poll. Data comes from json_script blocks; nothing is fetched from outside. */
(function () {
  "use strict";

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var trend = data("trend-data");
  if (trend && window.echarts) {
    var chart = echarts.init(document.getElementById("trend-chart"));
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: trend.labels },
      yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
      series: trend.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, connectNulls: true, showSymbol: true, symbolSize: 7 };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var bars = data("bar-data");
  if (bars && window.echarts && bars.values.length) {
    var bar = echarts.init(document.getElementById("bar-chart"));
    bar.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, top: 24, bottom: 80 },
      xAxis: { type: "category", data: bars.labels, axisLabel: { rotate: 30, interval: 0 } },
      yAxis: { type: "value", name: bars.name, minInterval: 1 },
      series: [{ name: bars.name, type: "bar", data: bars.values, itemStyle: { color: "#2f6db5" } }]
    });
    window.addEventListener("resize", function () { bar.resize(); });
  }

  var points = data("heat-data");
  if (points && window.L) {
    var map = L.map("heat-map", { preferCanvas: true });
    var max = points.reduce(function (m, p) { return Math.max(m, p[2]); }, 1);
    var outlines = data("heat-grids");
    var gridLayer = null;
    if (outlines && outlines.features.length) {
      gridLayer = L.geoJSON(outlines, {
        style: { color: "#1f4f8a", weight: 1, fill: false },
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.code); }
      }).addTo(map);
    }
    var layer = L.featureGroup();
    points.forEach(function (p) {
      var share = p[2] / max;
      L.circleMarker([p[0], p[1]], {
        radius: 4 + 10 * Math.sqrt(share),
        stroke: false,
        fillColor: share > 0.66 ? "#b2182b" : share > 0.33 ? "#ef8a62" : "#fddbc7",
        fillOpacity: 0.75
      }).bindTooltip(String(p[2])).addTo(layer);
    });
    layer.addTo(map);
    if (points.length) {
      var bounds = layer.getBounds();
      if (gridLayer) { bounds.extend(gridLayer.getBounds()); }
      map.fitBounds(bounds.pad(0.1));
    } else {
      map.setView([36.06, 120.38], 12);
    }
  }

  var box = document.getElementById("export");
  if (box) {
    var url = box.getAttribute("data-status-url");
    var poll = function () {
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) { window.setTimeout(poll, 3000); return; } // an error page: ask again later
          document.getElementById("export-progress").value = s.progress;
          document.getElementById("export-state").textContent =
            s.state_label + (s.error ? "：" + s.error : "");
          if (s.state === "done") {
            document.getElementById("export-link").hidden = false;
          } else if (s.state !== "failed") {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    poll();
  }
})();
