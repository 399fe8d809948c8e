/* The workspace's map: a base map only when a tile URL is configured, otherwise a plain
 * background; the grids I patrol highlighted, other grids drawn from the grid API as I move. */
(function (scope) {
  "use strict";

  var GRID_MIN_ZOOM = 15;

  function create(element, config, patrolGrids) {
    var map = L.map(element, {zoomControl: true, attributionControl: !!config.tileUrl});
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, {attribution: config.attribution, maxZoom: 19}).addTo(map);
    }
    // Grids lie under the markers: panes below Leaflet's overlay pane (z-index 400).
    map.createPane("grids-other").style.zIndex = 340;
    map.createPane("grids-mine").style.zIndex = 350;
    var others = L.geoJSON(null, {
      pane: "grids-other",
      style: {color: "#57606a", weight: 1, fillColor: "#ffffff", fillOpacity: 0.7},
      interactive: false,
    }).addTo(map);
    var mine = L.geoJSON(patrolGrids || null, {
      pane: "grids-mine",
      style: {color: "#0b5cad", weight: 2, fillColor: "#0b5cad", fillOpacity: 0.08},
      interactive: false,
    }).addTo(map);
    if (patrolGrids && patrolGrids.features && patrolGrids.features.length) {
      map.fitBounds(mine.getBounds(), {padding: [12, 12], maxZoom: 17});
    } else {
      map.setView(config.center, 15);
    }

    var shown = {};
    function loadGrids() {
      if (!config.gridsUrl || map.getZoom() < GRID_MIN_ZOOM) {
        return;
      }
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) {
        return n.toFixed(5);
      }).join(",");
      fetch(config.gridsUrl + "?page_size=500&bbox=" + bbox, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (data) {
          (data && data.features || []).forEach(function (feature) {
            var code = feature.properties && feature.properties.code;
            if (code && !shown[code]) {
              shown[code] = true;
              others.addData(feature);
            }
          });
        })
        .catch(function () {
          // Offline: the grids I patrol are already on the map.
        });
    }
    map.on("moveend", loadGrids);
    loadGrids();
    return map;
  }

  scope.GridCityMap = {create: create};
})(window);
