// The offline base layer of the network map: the countries of the British Isles from
// world-atlas (Natural Earth 1:10m, public domain) as GeoJSON, coordinates rounded to about
// 100 m so the file stays small. Run by build_assets.sh: node scripts/uk_outline.mjs OUT
import {readFileSync, writeFileSync} from "node:fs";
import {feature} from "topojson-client";

// ISO 3166 numeric: United Kingdom, Ireland, Isle of Man, Guernsey, Jersey.
const KEEP = new Set(["826", "372", "833", "831", "832"]);
const topology = JSON.parse(readFileSync("node_modules/world-atlas/countries-10m.json", "utf8"));
const all = feature(topology, topology.objects.countries);
const round = (value) => Array.isArray(value) ? value.map(round) : Math.round(value * 1000) / 1000;
const features = all.features.filter((f) => KEEP.has(String(f.id))).map((f) => ({
  type: "Feature",
  id: String(f.id),
  properties: {name: f.properties.name},
  geometry: {type: f.geometry.type, coordinates: round(f.geometry.coordinates)},
}));
writeFileSync(process.argv[2], JSON.stringify({type: "FeatureCollection", features}));
console.log(`${features.length} countries written to ${process.argv[2]}`);
