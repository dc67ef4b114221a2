#!/usr/bin/env bash
# Set up and serve Kith on the embedded default (SQLite, demo data, offline postcode index).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"
mkdir -p instance
if [ -z "${SECRET_KEY:-}" ]; then
  # A key of this machine's own, kept so sessions survive restarts.
  [ -s instance/secret_key ] || python -c 'import secrets; print(secrets.token_hex(32))' > instance/secret_key
  SECRET_KEY=$(cat instance/secret_key)
  export SECRET_KEY
fi
flask --app wsgi build-postcode-index
flask --app wsgi init-db
flask --app wsgi seed-demo
flask --app wsgi build-ranking-index
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
echo
echo "Kith is running: open http://$HOST:$PORT/ (API docs at http://$HOST:$PORT/api/docs)."
echo "Create a sign-in with: .venv/bin/flask --app wsgi create-user you@example.org --role admin --password '...'"
echo
# Workers, threads, timeout and the redacting access log: gunicorn.conf.py.
export HOST PORT
exec gunicorn -c gunicorn.conf.py wsgi:app
