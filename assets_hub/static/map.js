// Draws the results' GeoJSON on a Leaflet map: pins numbered as the list beside it, and a marker
// for the place searched from. The list has the same results, so the page is complete without
// JavaScript, and when the tiles cannot load the map says so and the list stays.
(function () {
  var el = document.getElementById("map");
  var status = document.getElementById("map-status");
  function say(text) { if (status) { status.textContent = text; } }
  if (!el || typeof L === "undefined") {
    if (el) { el.hidden = true; }
    say("The map could not load. The list below has every result.");
    return;
  }
  var map = L.map(el, { scrollWheelZoom: false });
  var tiles = L.tileLayer(el.getAttribute("data-tiles"), { maxZoom: 19, attribution: el.getAttribute("data-attribution") });
  var failed = 0, loaded = 0;
  tiles.on("tileerror", function () {
    failed += 1;
    if (!loaded) { say("The map's background could not load (the tile server did not answer). The pins are shown on a blank map; the list below has every result."); }
  });
  tiles.on("tileload", function () { loaded += 1; if (failed) { say(""); } });
  tiles.addTo(map);
  fetch(el.getAttribute("data-geojson"), { headers: { "Accept": "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          var p = feature.properties, label = p.number + ". " + p.name;
          var icon = L.divIcon({ className: "pin", html: "<span>" + Number(p.number) + "</span>", iconSize: [28, 28], iconAnchor: [14, 28], popupAnchor: [0, -26] });
          return L.marker(latlng, { icon: icon, title: label, keyboard: true });
        },
        onEachFeature: function (feature, marker) {
          var a = document.createElement("a");
          a.href = feature.properties.url;
          a.textContent = feature.properties.number + ". " + feature.properties.name;
          marker.bindPopup(a);
        }
      }).addTo(map);
      if (data.place) {
        var here = [data.place.coordinates[1], data.place.coordinates[0]];
        L.circleMarker(here, { radius: 9, color: "#0b0c0c", weight: 3, fillColor: "#ffdd00", fillOpacity: 1 })
          .bindTooltip("Searched from: " + data.place.label).addTo(map);
        el.setAttribute("data-place", data.place.label);
      }
      el.setAttribute("data-markers", String(data.features.length));
      if (data.features.length) {
        var bounds = layer.getBounds();
        if (data.place) { bounds.extend([data.place.coordinates[1], data.place.coordinates[0]]); }
        map.fitBounds(bounds.pad(0.2));
      }
      else if (data.place) { map.setView([data.place.coordinates[1], data.place.coordinates[0]], 12); }
      else { map.setView([54.5, -3], 5); }
    })
    .catch(function () { say("The results could not be drawn on the map. The list below has every result."); });
})();
