#!/usr/bin/env bash
# Kith as a council would run it on several machines, here on one: nginx in front of two app
# nodes on their own loopback addresses, sharing PostgreSQL and Redis, plus a task worker
# beside each node. See docs/deploy.md for real hosts.
#
#   scripts/cluster.sh up | down | status
#
# Settings (environment): DATABASE_URL (PostgreSQL; default the local `kith_cluster`
# database, created if missing), REDIS_URL (default redis://127.0.0.1:6379/4), CLUSTER_DIR
# (pids, logs, nginx config; default instance/cluster), CLUSTER_PORT (nginx, default 8080),
# NODES (default "127.0.0.2 127.0.0.3"), NODE_PORT (default 8000), SECRET_KEY (default
# instance/secret_key, made if missing). Anything else in the environment (RATELIMIT_*,
# MAIL_*) reaches every node.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-.venv}
[ -d "$VENV/bin" ] && export PATH="$ROOT/$VENV/bin:$PATH"
DIR=${CLUSTER_DIR:-$ROOT/instance/cluster}
CLUSTER_PORT=${CLUSTER_PORT:-8080}
NODES=${NODES:-127.0.0.2 127.0.0.3}
NODE_PORT=${NODE_PORT:-8000}
export DATABASE_URL=${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/kith_cluster}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/4}
# The task queue lives in Redis too, so any worker takes any node's tasks.
export TASKS_URL=${TASKS_URL:-$REDIS_URL}
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://127.0.0.1:$CLUSTER_PORT}
# One proxy in front: X-Forwarded-For is believed from it, and from nothing else.
export TRUSTED_PROXIES=${TRUSTED_PROXIES:-1}
export RANKING_INDEX_DIR=${RANKING_INDEX_DIR:-$DIR/ranking}

pidfile() { echo "$DIR/$1.pid"; }

running() {  # running NAME: its process is alive
  local file; file=$(pidfile "$1")
  [ -s "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null
}

nginx_conf() {
  local servers=""
  for node in $NODES; do
    servers+="    server $node:$NODE_PORT max_fails=1 fail_timeout=5s;"$'\n'
  done
  cat <<CONF
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log $DIR/nginx-access.log;
  client_body_temp_path $DIR/nginx-tmp/body;
  proxy_temp_path $DIR/nginx-tmp/proxy;
  fastcgi_temp_path $DIR/nginx-tmp/fastcgi;
  uwsgi_temp_path $DIR/nginx-tmp/uwsgi;
  scgi_temp_path $DIR/nginx-tmp/scgi;
  client_max_body_size 64m;
  upstream kith {
$servers    keepalive 16;
  }
  server {
    listen 127.0.0.1:$CLUSTER_PORT;
    location / {
      proxy_pass http://kith;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$host;
      # A node that is down is skipped; a request it may have started is never replayed.
      proxy_next_upstream error timeout http_502 http_503;
      proxy_connect_timeout 2s;
      proxy_read_timeout 130s;
      proxy_buffering on;
    }
  }
}
CONF
}

up() {
  command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx)" >&2; exit 1; }
  mkdir -p "$DIR/nginx-tmp" "$RANKING_INDEX_DIR"
  if [ -z "${SECRET_KEY:-}" ]; then
    [ -s instance/secret_key ] || python -c 'import secrets; print(secrets.token_hex(32))' > instance/secret_key
    SECRET_KEY=$(cat instance/secret_key)
  fi
  export SECRET_KEY
  python - <<'PY'
import os
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
url = make_url(os.environ["DATABASE_URL"])
if url.get_backend_name() == "postgresql":
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"),
                       {"d": url.database}) is None:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
PY
  # Once for the whole cluster: the schema, the postcode index and the ranking index. Every
  # node memory-maps the same saved index and catches up from the data version.
  flask --app wsgi build-postcode-index
  flask --app wsgi init-db
  flask --app wsgi build-ranking-index
  for node in $NODES; do
    if running "node-$node"; then echo "node $node is already running"; continue; fi
    HOST=$node PORT=$NODE_PORT WORKERS=${NODE_WORKERS:-2} \
      nohup gunicorn -c gunicorn.conf.py --pid "$(pidfile "node-$node")" wsgi:app \
      > "$DIR/node-$node.log" 2>&1 &
    nohup flask --app wsgi worker > "$DIR/worker-$node.log" 2>&1 &
    echo $! > "$(pidfile "worker-$node")"
  done
  for node in $NODES; do wait_for "http://$node:$NODE_PORT/" "node $node"; done
  nginx_conf > "$DIR/nginx.conf"
  running nginx || nginx -c "$DIR/nginx.conf" -p "$DIR" -e "$DIR/nginx-error.log"
  wait_for "http://127.0.0.1:$CLUSTER_PORT/" "nginx"
  echo "Kith cluster is up: http://127.0.0.1:$CLUSTER_PORT/ (nodes: $NODES; logs in $DIR)."
}

wait_for() {  # wait_for URL NAME
  for _ in $(seq 1 150); do
    python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" \
      2>/dev/null && return 0
    sleep 0.2
  done
  echo "$2 did not answer at $1; see the logs in $DIR" >&2
  exit 1
}

down() {
  [ -s "$(pidfile nginx)" ] && nginx -c "$DIR/nginx.conf" -p "$DIR" -e "$DIR/nginx-error.log" -s quit 2>/dev/null || true
  for file in "$DIR"/node-*.pid "$DIR"/worker-*.pid; do
    [ -s "$file" ] || continue
    kill -TERM "$(cat "$file")" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    alive=0
    for file in "$DIR"/node-*.pid "$DIR"/worker-*.pid "$DIR"/nginx.pid; do
      [ -s "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null && alive=1
    done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  rm -f "$DIR"/node-*.pid "$DIR"/worker-*.pid
  echo "Kith cluster is down."
}

status() {
  local code=0
  for name in nginx $(for n in $NODES; do echo "node-$n worker-$n"; done); do
    if running "$name"; then echo "$name: running (pid $(cat "$(pidfile "$name")"))"
    else echo "$name: stopped"; code=3; fi
  done
  return $code
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
