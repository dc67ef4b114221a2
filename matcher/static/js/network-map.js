/* The coordinator's network map: homes and partners counted in clusters by the server at
 * low zoom and shown one by one close up, cold spots in red, areas missing a kind of partner
 * shaded. Everything it needs is in the page's JSON block (no inline script, strict CSP).
 *
 * The base layer works offline: the outlines of the British Isles (world-atlas, vendored)
 * and place names (local authorities, from the postcode directory). Map tiles are added on
 * top when a tile server is configured and reachable, and dropped quietly when not.
 * The tables under the map hold the same information for those who cannot use it.
 */
(function () {
  "use strict";

  var element = document.getElementById("network-map");
  var block = document.getElementById("network-map-config");
  if (!element || !block || typeof window.L === "undefined") {
    return;
  }
  var config;
  try {
    config = JSON.parse(block.textContent || "{}");
  } catch (error) {
    return;
  }
  var L = window.L;
  var words = config.words || {};
  var wrapper = document.getElementById("network-map-wrapper");
  if (wrapper) {
    wrapper.classList.add("kith-map-wrapper--ready");
  }
  var note = document.getElementById("network-map-note");

  var map = L.map(element, {scrollWheelZoom: false, keyboard: true, minZoom: 5, maxZoom: 18});
  if (config.centre) {
    // open on the homes and partners shown (the nation, or the local authority chosen)
    map.fitBounds(config.centre, {padding: [30, 30], maxZoom: 11});
  } else {
    map.setView([54.5, -3.2], 6);
  }
  map.createPane("outlines").style.zIndex = 150;
  map.createPane("areas").style.zIndex = 390;

  fetch(config.outlines_url).then(function (r) { return r.json(); }).then(function (geojson) {
    L.geoJSON(geojson, {pane: "outlines", interactive: false,
      style: function () { return {className: "kith-network__outline"}; }}).addTo(map);
  }).catch(function () {});

  var places = L.layerGroup();
  fetch(config.places_url).then(function (r) { return r.json(); }).then(function (list) {
    list.forEach(function (place) {
      L.marker([place.lat, place.lon], {
        interactive: false, keyboard: false,
        icon: L.divIcon({className: "kith-network__place", html: escapeHtml(place.name),
          iconSize: null})
      }).addTo(places);
    });
    togglePlaces();
  }).catch(function () {});
  function togglePlaces() {
    if (map.getZoom() >= 8) {
      places.addTo(map);
    } else {
      map.removeLayer(places);
    }
  }
  map.on("zoomend", togglePlaces);

  if (config.tiles_url) {
    var tiles = L.tileLayer(config.tiles_url, {maxZoom: 18, opacity: 0.85,
      attribution: "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors"});
    var failures = 0;
    var loaded = 0;
    tiles.on("tileload", function () { loaded += 1; });
    tiles.on("tileerror", function () {
      failures += 1;
      if (loaded === 0 && failures >= 4 && map.hasLayer(tiles)) {
        map.removeLayer(tiles);
        if (note && words.offline) {
          note.textContent = words.offline;
        }
      }
    });
    tiles.addTo(map);
  }

  // Local authorities with care homes but no partner of some kind: shaded circles.
  (config.areas || []).forEach(function (area) {
    var kinds = area.missing.map(function (k) { return (config.kinds || {})[k] || k; });
    L.circleMarker([area.lat, area.lon], {radius: 16, pane: "areas",
      className: "kith-network__area"})
      .bindPopup("<strong>" + escapeHtml(area.name) + "</strong><br>" +
        escapeHtml(words.missing) + ": " + escapeHtml(kinds.join(", ")))
      .addTo(map);
  });

  var layer = L.layerGroup().addTo(map);
  var pending = null;
  function load() {
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    var url = config.data_url + (config.data_url.indexOf("?") < 0 ? "?" : "&") +
      "bbox=" + map.getBounds().toBBoxString() + "&zoom=" + map.getZoom();
    fetch(url, {signal: pending.signal, credentials: "same-origin",
      headers: {Accept: "application/json"}})
      .then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      })
      .then(draw)
      .catch(function (error) {
        if (error.name !== "AbortError" && note && words.loading_failed) {
          note.textContent = words.loading_failed;
        }
      });
  }

  function draw(answer) {
    layer.clearLayers();
    element.setAttribute("data-mode", answer.mode);
    if (answer.mode === "cells") {
      (answer.partners.cells || []).forEach(function (cell) { addCell(cell, "partners"); });
      (answer.homes.cells || []).forEach(function (cell) { addCell(cell, "homes"); });
    } else {
      (answer.partners.points || []).forEach(addPartner);
      (answer.homes.points || []).forEach(addHome);
    }
  }

  function addCell(cell, what) {
    var size = Math.round(24 + Math.min(28, 6 * Math.log10(cell.count)));
    var cold = what === "homes" && cell.flagged > 0;
    var label = cell.count + " " + (words[what] || what) +
      (cold ? " (" + cell.flagged + " " + words.cold + ")" : "");
    var marker = L.marker([cell.lat, cell.lon], {
      title: label, alt: label, keyboard: true,
      zIndexOffset: what === "homes" ? 1000 : 0,
      icon: L.divIcon({
        className: "kith-network__cell kith-network__cell--" + what +
          (cold ? " kith-network__cell--cold" : ""),
        html: "<span>" + shortCount(cell.count) + "</span>",
        iconSize: [size, size]
      })
    });
    marker.on("click", function () {
      map.setView([cell.lat, cell.lon], Math.min(map.getZoom() + 2, 18));
    });
    marker.addTo(layer);
  }

  function addHome(home) {
    var link = config.home_url.replace(/\/0\//, "/" + Number(home.id) + "/");
    var popup = "<strong>" + escapeHtml(home.name) + "</strong><br>" +
      escapeHtml(home.cold ? words.cold_home : words.home) +
      "<br><a href=\"" + link + "\">" + escapeHtml(words.suggestions) + "</a>";
    var title = home.name + (home.cold ? " (" + words.cold + ")" : "");
    if (home.cold) {
      L.marker([home.lat, home.lon], {title: title, alt: title, keyboard: true,
        zIndexOffset: 2000,
        icon: L.divIcon({className: "kith-network__cold-home", iconSize: [16, 16]})})
        .bindPopup(popup).addTo(layer);
    } else {
      L.circleMarker([home.lat, home.lon], {radius: 7, color: "#ffffff", weight: 2,
        fillColor: "#1d70b8", fillOpacity: 1}).bindTooltip(title).bindPopup(popup).addTo(layer);
    }
  }

  function addPartner(partner) {
    var kind = (config.kinds || {})[partner.kind] || partner.kind;
    L.circleMarker([partner.lat, partner.lon], {radius: 5, color: "#ffffff", weight: 1,
      fillColor: "#00703c", fillOpacity: 0.9})
      .bindTooltip(partner.name + " (" + kind + ")")
      .bindPopup("<strong>" + escapeHtml(partner.name) + "</strong><br>" + escapeHtml(kind))
      .addTo(layer);
  }

  function shortCount(n) {
    if (n >= 100000) { return Math.round(n / 1000) + "k"; }
    if (n >= 10000) { return (Math.round(n / 100) / 10) + "k"; }
    return String(n);
  }

  function escapeHtml(text) {
    return String(text === undefined || text === null ? "" : text)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  map.on("moveend", load);
  load();
}());
