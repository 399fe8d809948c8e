/* A task's page: the point on the map, and photos shrunk before the answer is posted. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("mobile-map").textContent);
  var point = JSON.parse(document.getElementById("task-point").textContent);
  var map = GridCityMap.create(document.getElementById("task-map"), config, null);
  map.setView([point.lat, point.lon], 17);
  L.circleMarker([point.lat, point.lon], {radius: 9, color: "#cf222e", weight: 3, fillOpacity: 0.5}).addTo(map);

  GridCityPhotos.enhanceInputs(document);
  var input = document.getElementById("task-photos");
  var count = document.getElementById("task-photo-count");
  function showCount() {
    count.textContent = input.files.length ? count.dataset.template.replace("%s", input.files.length) : "";
  }
  input.addEventListener("change", showCount);
  input.addEventListener("photos-ready", showCount);
})();
