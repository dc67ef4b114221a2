#!/usr/bin/env bash
# Set up and serve Kith on the embedded default (SQLite, demo data, offline postcode index).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
# Check the port before building anything: a busy port must not end in "Kith is running".
if ! python - "$HOST" "$PORT" <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
    try:
        s.bind((host, port))
    except OSError as exc:
        sys.exit(f"Port {port} on {host} is busy ({exc.strerror}): stop what uses it, or choose "
                 f"another with PORT, e.g. PORT={port + 1} make run")
PY
then
  exit 1
fi
mkdir -p instance
if [ -z "${SECRET_KEY:-}" ]; then
  # A key of this machine's own, kept so sessions survive restarts.
  [ -s instance/secret_key ] || python -c 'import secrets; print(secrets.token_hex(32))' > instance/secret_key
  SECRET_KEY=$(cat instance/secret_key)
  export SECRET_KEY
fi
flask --app wsgi build-postcode-index
flask --app wsgi init-db
flask --app wsgi seed-demo --sign-ins instance/demo-sign-ins.txt --base-url "http://$HOST:$PORT"
flask --app wsgi build-ranking-index
echo
echo "Kith is running: open http://$HOST:$PORT/ (API docs at http://$HOST:$PORT/api/docs)."
[ -s instance/demo-sign-ins.txt ] && cat instance/demo-sign-ins.txt && echo
echo
echo "Without MAIL_SERVER, emails are written to instance/outbox/ (admins: /admin/outbox)."
echo
# Links in emails (and the open feed) point at this server unless told otherwise.
PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://$HOST:$PORT}
# Workers, threads, timeout and the redacting access log: gunicorn.conf.py.
export HOST PORT PUBLIC_BASE_URL
# The task consumer (sends the email, runs the daily digest) beside gunicorn; both stop
# together, whichever ends first.
flask --app wsgi worker &
WORKER=$!
gunicorn -c gunicorn.conf.py wsgi:app &
SERVER=$!
stop() {
  kill -TERM "$SERVER" "$WORKER" 2>/dev/null || true
  wait "$SERVER" "$WORKER" 2>/dev/null || true
}
trap stop EXIT INT TERM
wait -n "$SERVER" "$WORKER"
