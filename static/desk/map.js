/* The command centre's map: the filtered cases, clustered, and the grids under the view.
   Without a tile URL it draws on a plain background. */
(function () {
  "use strict";
  var desk = document.getElementById("desk");
  var element = document.getElementById("map");
  if (!desk || !element || typeof L === "undefined") { return; }
  var centre = desk.getAttribute("data-center").split(",").map(Number);
  var map = L.map(element, { preferCanvas: true, maxZoom: 19 }).setView(centre, 14);
  var tiles = desk.getAttribute("data-tile-url");
  if (tiles) {
    L.tileLayer(tiles, { attribution: desk.getAttribute("data-tile-attribution") || "" }).addTo(map);
  } else {
    element.classList.add("map-plain");
  }
  var COLOURS = { red: "#cf222e", yellow: "#bf8700", green: "#1a7f37", "": "#57606a" };
  var gridLayer = L.geoJSON(null, {
    style: { color: "#0b5cad", weight: 1, fillOpacity: 0.03 },
    interactive: false
  }).addTo(map);
  var RANK = { red: 3, yellow: 2, green: 1, "": 0 };
  // A cluster takes the colour of its most urgent case, so a red light is never hidden.
  var cluster = L.markerClusterGroup({
    showCoverageOnHover: false,
    maxClusterRadius: 40,
    iconCreateFunction: function (group) {
      var worst = "";
      group.getAllChildMarkers().forEach(function (marker) {
        if (RANK[marker.options.timer] > RANK[worst]) { worst = marker.options.timer; }
      });
      return L.divIcon({
        html: "<span>" + group.getChildCount() + "</span>",
        className: "case-cluster case-cluster-" + (worst || "none"),
        iconSize: L.point(36, 36)
      });
    }
  });
  map.addLayer(cluster);
  var note = document.getElementById("map-note");
  var GRID_MIN_ZOOM = 15; // below this, a district's thousands of grid outlines are only noise
  var fitted = false;

  function openCase(id) {
    htmx.ajax("GET", desk.getAttribute("data-drawer-base") + id + "/", { target: "#drawer", swap: "innerHTML" });
  }

  // The first load shows where the filtered cases are (the map fits them); after that the map
  // asks only for the cases in its view, padded a little so a small pan needs no new request.
  var shown = null; // what the markers cover: {bounds, zoom, truncated}
  function clamp(n, limit) { return Math.max(-limit, Math.min(limit, n)).toFixed(5); }

  var asked = 0;
  function loadCases() {
    var params = new URLSearchParams(window.location.search);
    var bounds = fitted ? map.getBounds().pad(0.1) : null;
    if (bounds) {
      params.set("bbox", [clamp(bounds.getWest(), 180), clamp(bounds.getSouth(), 90),
        clamp(bounds.getEast(), 180), clamp(bounds.getNorth(), 90)].join(","));
    }
    var query = params.toString();
    var url = desk.getAttribute("data-map-url") + (query ? "?" + query : "");
    var zoom = map.getZoom();
    var mine = ++asked;
    return fetch(url, { credentials: "same-origin" })
      // A busy or restarting server may answer an error page: keep the markers shown and let
      // the next refresh try again rather than fail on HTML.
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || mine !== asked) { return; }  // an answer overtaken by a newer request
        shown = bounds ? { bounds: bounds, zoom: zoom, truncated: data.truncated } : null;
        cluster.clearLayers();
        var markers = data.features.map(function (feature) {
          var c = feature.geometry.coordinates;
          var p = feature.properties;
          var marker = L.circleMarker([c[1], c[0]], {
            radius: 8, weight: 2, color: "#fff", timer: p.colour || "",
            fillColor: COLOURS[p.colour] || COLOURS[""], fillOpacity: 0.95
          });
          marker.bindTooltip(p.number + " · " + p.category + " · " + p.status);
          marker.on("click", function () { openCase(p.id); });
          return marker;
        });
        cluster.addLayers(markers);
        element.setAttribute("data-count", String(markers.length));
        if (note) {
          note.textContent = data.truncated ? note.getAttribute("data-truncated") : "";
        }
        if (!fitted && markers.length) {
          fitted = true;
          map.fitBounds(cluster.getBounds(), { maxZoom: 16, padding: [20, 20] });
        }
      });
  }

  var gridsShown = "";
  function loadGrids() {
    if (map.getZoom() < GRID_MIN_ZOOM) { gridLayer.clearLayers(); gridsShown = ""; return; }
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) { return n.toFixed(4); }).join(",");
    if (bbox === gridsShown) { return; }
    gridsShown = bbox;
    fetch(desk.getAttribute("data-grids-url") + "?page_size=1000&bbox=" + bbox, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || bbox !== gridsShown) { return; }
        gridLayer.clearLayers();
        gridLayer.addData(data);
      })
      .catch(function () {});
  }

  // Street boundaries give the plain background its shape at every zoom.
  var streets = L.geoJSON(null, {
    style: { color: "#57606a", weight: 1.5, dashArray: "4 3", fill: false },
    interactive: false
  }).addTo(map);
  fetch(desk.getAttribute("data-areas-url") + "?level=street&page_size=200", { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) { if (data) { streets.addData(data); } })
    .catch(function () {});

  map.on("moveend", function () {
    loadGrids();
    if (!fitted) { return; }
    // A view outside what was loaded, or a closer look at an answer cut at the limit.
    if (!shown || !shown.bounds.contains(map.getBounds()) ||
        (shown.truncated && map.getZoom() !== shown.zoom)) {
      loadCases();
    }
  });
  document.addEventListener("desk:list-refreshed", loadCases);
  loadCases().then(loadGrids);
})();
