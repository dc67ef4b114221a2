#!/usr/bin/env bash
# Run the whole test suite (pytest). DATABASE_URL picks the database: SQLite when unset.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"
# The browser tests drive Debian's Chromium; Playwright never downloads a browser here.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) >/dev/null
fi
# Build the postcode index once, and let every test (and test process) share it.
python scripts/build_postcode_index.py
KITH_POSTCODE_INDEX=$(python -c 'from matcher.domain.geocoding import default_index_path; print(default_index_path())')
export KITH_POSTCODE_INDEX
exec python -m pytest "$@"
