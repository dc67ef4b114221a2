#!/usr/bin/env bash
# Rebuild matcher/static/vendor from the npm registry (run after changing package.json).
# The output is committed so that running the service never needs npm or a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-audit --no-fund
out=matcher/static/vendor
rm -rf "$out" && mkdir -p "$out/govuk" "$out/leaflet" "$out/swagger-ui" "$out/chartjs" "$out/world-atlas"
npx sass --pkg-importer=node --style=compressed --no-source-map assets/kith.scss "$out/govuk/govuk-frontend.min.css"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out/govuk/"
# The crown, crest and GOV.UK icons are deliberately not copied: they belong to GOV.UK services only.
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$out/leaflet/"
cp -r node_modules/leaflet/dist/images "$out/leaflet/"
for f in swagger-ui-bundle.js swagger-ui-standalone-preset.js swagger-ui.css favicon-32x32.png LICENSE; do
  cp "node_modules/swagger-ui-dist/$f" "$out/swagger-ui/"
done
# Chart.js for the coordinator's reports (the UMD build: a plain <script>, no bundler).
cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md "$out/chartjs/"
# The network map's offline outlines: converted from TopoJSON once here, not in every browser.
node scripts/uk_outline.mjs "$out/world-atlas/british-isles.geojson"
cp node_modules/world-atlas/LICENSE "$out/world-atlas/LICENSE" 2>/dev/null || true
cp node_modules/govuk-frontend/LICENSE.txt "$out/govuk/LICENSE.txt" 2>/dev/null || true
cp node_modules/leaflet/LICENSE "$out/leaflet/LICENSE" 2>/dev/null || true
echo "Assets written to $out"
