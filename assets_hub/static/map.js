// Draws the results' GeoJSON on a Leaflet map. The list beside it has the same results, so the page
// is complete without JavaScript; this only adds the map.
(function () {
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { if (el) { el.textContent = "The map could not load. The list below has every result."; } return; }
  var map = L.map(el, { scrollWheelZoom: false });
  L.tileLayer("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "&copy; OpenStreetMap contributors"
  }).addTo(map);
  fetch(el.getAttribute("data-geojson"), { headers: { "Accept": "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          return L.marker(latlng, { title: feature.properties.name, alt: feature.properties.name, keyboard: true });
        },
        onEachFeature: function (feature, marker) {
          var a = document.createElement("a");
          a.href = feature.properties.url;
          a.textContent = feature.properties.name;
          marker.bindPopup(a);
        }
      }).addTo(map);
      el.setAttribute("data-markers", String(data.features.length));
      if (data.features.length) { map.fitBounds(layer.getBounds().pad(0.2)); }
      else if (data.place) { map.setView([data.place.coordinates[1], data.place.coordinates[0]], 12); }
      else { map.setView([54.5, -3], 5); }
    });
})();
