// The dashboard's map (server/src/dashboard/map.rs): draws the commune's GeoJSON export with the
// vendored Leaflet on a plain background, or over tiles when the server names a tile URL.
// Popups are built with DOM nodes (textContent), never from HTML strings of record data.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var colors = JSON.parse(el.dataset.colors || "{}");
  var labels = JSON.parse(el.dataset.labels || "{}");
  var signColors = { good: "#2e7d32", damaged: "#f9a825", missing: "#b71c1c" };
  var map = L.map(el, { zoomControl: true, attributionControl: !!el.dataset.tiles });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
  }

  function t(key) { return labels[key] || key; }

  function row(dl, label, value) {
    if (value === null || value === undefined || value === "") return;
    var dt = document.createElement("dt");
    dt.textContent = label;
    var dd = document.createElement("dd");
    dd.textContent = value;
    dl.appendChild(dt);
    dl.appendChild(dd);
  }

  function popup(p) {
    var box = document.createElement("div");
    box.className = "ntm-popup";
    var h = document.createElement("strong");
    h.textContent = p.kind === "road_segment" ? (p.name || t("kind.road_segment")) : t("map.sign");
    box.appendChild(h);
    var dl = document.createElement("dl");
    if (p.kind === "road_segment") {
      row(dl, t("kind.road_segment"), t("road." + p["class"]) + ", " + t("surface." + p.surface) + ", " + t("status." + p.status));
      row(dl, t("rec.length"), Math.round(p.length_m).toLocaleString("vi-VN") + " m");
    } else {
      row(dl, t("map.sign"), t("condition." + p.condition));
    }
    row(dl, t("rec.village"), p.village_name);
    row(dl, t("rec.accuracy"), p.accuracy_m === null ? "" : p.accuracy_m.toLocaleString("vi-VN") + " m");
    row(dl, t("rec.photos"), String(p.photos));
    row(dl, t("rec.author"), p.author);
    box.appendChild(dl);
    var a = document.createElement("a");
    a.href = p.url;
    a.textContent = t("rec.open");
    box.appendChild(a);
    return box;
  }

  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: function (f) {
          var p = f.properties;
          // GeoJSON layers restyle their circle markers too: keep signs looking like signs.
          if (p.kind === "trash_sign") {
            return { radius: 9, color: "#000", weight: 2, fillOpacity: 1,
              fillColor: signColors[p.condition] || "#555", className: "ntm-sign" };
          }
          return {
            color: colors[p["class"]] || "#222",
            weight: 6,
            opacity: 0.9,
            dashArray: p.hardened ? null : "10 8",
            className: "ntm-road",
          };
        },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, {
            radius: 9, color: "#000", weight: 2, fillOpacity: 1,
            fillColor: signColors[f.properties.condition] || "#555", className: "ntm-sign",
          });
        },
        onEachFeature: function (f, l) { l.bindPopup(popup(f.properties)); },
      }).addTo(map);
      var bounds = layer.getBounds();
      if (bounds.isValid()) {
        map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17 });
      } else {
        map.setView([21.7, 105.3], 12);
      }
      el.dataset.features = String(fc.features.length);
      el.classList.add("ready");
    })
    .catch(function (e) {
      el.dataset.error = String(e);
      el.classList.add("failed");
    });
})();
