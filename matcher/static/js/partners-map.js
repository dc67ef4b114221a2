/* The partners map: a Leaflet map of the home and its suggested partners.
 *
 * Reads everything from the data-map attribute (no inline script, so a strict CSP holds).
 * Markers are drawn as vectors and numbered like the list, so they still show when the
 * OpenStreetMap tiles cannot be fetched (offline, or blocked). The list on the page is the
 * accessible alternative; the map only adds a picture of where partners are.
 */
(function () {
  "use strict";

  var element = document.getElementById("partners-map");
  if (!element || typeof window.L === "undefined") {
    return;
  }
  var data;
  try {
    data = JSON.parse(element.getAttribute("data-map") || "{}");
  } catch (error) {
    return;
  }
  var home = data.home;
  if (!home || home.lat === null || home.lon === null) {
    return;
  }
  // The page's words for the map (Welsh or English); English if an older page has none.
  var words = data.words || {};
  var L = window.L;
  // The map is hidden until this script runs (without it the list is the whole page); show it
  // before Leaflet measures the container, or the first fit uses a zero-sized box.
  var wrapper = element.closest(".kith-map-wrapper");
  if (wrapper) {
    wrapper.classList.add("kith-map-wrapper--ready");
  }

  var map = L.map(element, {
    scrollWheelZoom: false,
    keyboard: true,
    attributionControl: true
  }).setView([home.lat, home.lon], 12);

  // The tile server is a setting (MAP_TILES_URL); an empty one means no tiles at all.
  var tilesUrl = data.tiles_url === undefined ?
    "https://tile.openstreetmap.org/{z}/{x}/{y}.png" : data.tiles_url;
  var tiles = L.tileLayer(tilesUrl || "", {
    maxZoom: 18,
    attribution: "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors"
  });
  var tileFailures = 0;
  var tilesLoaded = 0;
  tiles.on("tileload", function () {
    tilesLoaded += 1;
  });
  tiles.on("tileerror", function () {
    tileFailures += 1;
    // Offline: stop asking for tiles that will never come; the markers need none.
    if (tilesLoaded === 0 && tileFailures >= 8 && map.hasLayer(tiles)) {
      map.removeLayer(tiles);
    }
    if (tileFailures === 1) {
      element.classList.add("kith-map--offline");
      var note = document.getElementById("partners-map-note");
      if (note) {
        note.textContent = words.offline || ("The background map could not be loaded, but " +
          "the markers still show where partners are. The numbers match the list below.");
      }
    }
  });
  if (tilesUrl) {
    tiles.addTo(map);
  } else {
    element.classList.add("kith-map--offline");
  }

  var bounds = L.latLngBounds([[home.lat, home.lon]]);
  if (home.radius_km) {
    L.circle([home.lat, home.lon], {
      radius: home.radius_km * 1000,
      className: "kith-map__radius",
      interactive: false
    }).addTo(map);
  }

  // A pin standing on the home's point, so a partner at the same address stays visible.
  var homeIcon = L.divIcon({
    className: "kith-map__home",
    html: "<svg viewBox=\"0 0 32 32\" width=\"22\" height=\"22\" aria-hidden=\"true\" " +
      "focusable=\"false\"><path fill=\"currentColor\" d=\"M16 3 2 14h4v14h8v-8h4v8h8V14h4L16 3Z\"/></svg>",
    iconSize: [36, 36],
    iconAnchor: [18, 46],
    popupAnchor: [0, -46]
  });
  L.marker([home.lat, home.lon], {
    icon: homeIcon,
    title: fill(words.home_title || "{name} (your home)", {name: home.name}),
    alt: home.name,
    keyboard: true,
    zIndexOffset: -1000
  }).addTo(map).bindPopup("<strong>" + escapeHtml(home.name) + "</strong><br>" +
    escapeHtml(words.your_home || "Your home"));

  (data.partners || []).forEach(function (partner) {
    if (partner.lat === null || partner.lon === null) {
      return;
    }
    var icon = L.divIcon({
      className: "kith-map__partner",
      html: "<span>" + partner.rank + "</span>",
      iconSize: [28, 28],
      iconAnchor: [14, 14]
    });
    var label = partner.rank + ". " + partner.name;
    L.marker([partner.lat, partner.lon], {icon: icon, title: label, alt: label, keyboard: true})
      .addTo(map)
      .bindPopup(
        "<strong>" + escapeHtml(label) + "</strong><br>" +
        escapeHtml(partner.kind) + ", " +
        escapeHtml(fill(words.away || "{distance} km away", {distance: partner.distance})) +
        "<br>" + escapeHtml(fill(words.match || "{score}% match", {score: partner.score})) +
        "<br><a href=\"#partner-" + Number(partner.id) + "\">" +
        escapeHtml(words.details || "See details") + "</a>"
      );
    bounds.extend([partner.lat, partner.lon]);
  });

  if (data.partners && data.partners.length) {
    map.fitBounds(bounds, {padding: [30, 30], maxZoom: 14});
  }

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? String(values[key]) : whole;
    });
  }

  function escapeHtml(text) {
    return String(text === undefined || text === null ? "" : text)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
}());
