#!/usr/bin/env bash
# The local stand-ins for the cloud parts, together: the Apache Kafka broker, the
# BigQuery emulator and Redis. Idempotent; concurrent callers (parallel test runs)
# serialise on a lock so a service is never started twice.
#
# Usage: tools/local/services.sh <install|up|down|status|env>
#   install  fetch Kafka jars (Maven), create the emulator venv (PyPI) and unpack Redis
#            (Debian packages); skipped when done
#   up       install if needed, start all three, wait until each answers, create topics
#   down     stop all three
#   status   one line per service; exit 0 only when all run
#   env      print the environment the apps need to reach them (eval "$(… env)")
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
LOCAL_DIR="$(realpath -m "${PHOENIX_LOCAL_DIR:-$REPO_ROOT/.local}")"
mkdir -p "$LOCAL_DIR"

with_lock() {
  # flock is in util-linux on every Debian; the lock is released when the fd closes.
  exec 9>"$LOCAL_DIR/services.lock"
  flock -w 600 9 || { echo "[services] timed out waiting for another services.sh to finish" >&2; exit 1; }
  "$@"
}

install() {
  bash "$HERE/kafka.sh" install 9>&-
  bash "$HERE/bigquery.sh" install 9>&-
  bash "$HERE/redis.sh" install 9>&-
}

up() {
  install
  bash "$HERE/kafka.sh" start 9>&-
  bash "$HERE/bigquery.sh" start 9>&-
  bash "$HERE/redis.sh" start 9>&-
}

down() {
  local rc=0
  bash "$HERE/kafka.sh" stop 9>&- || rc=$?
  bash "$HERE/bigquery.sh" stop 9>&- || rc=$?
  bash "$HERE/redis.sh" stop 9>&- || rc=$?
  return $rc
}

status() {
  local rc=0
  bash "$HERE/kafka.sh" status || rc=3
  bash "$HERE/bigquery.sh" status || rc=3
  bash "$HERE/redis.sh" status || rc=3
  return $rc
}

env_vars() {
  echo "export KAFKA_BROKERS=127.0.0.1:${PHOENIX_KAFKA_PORT:-9092}"
  echo "export BIGQUERY_PROJECT=${PHOENIX_BQ_PROJECT:-phoenix-local}"
  echo "export BIGQUERY_EMULATOR_HOST=http://127.0.0.1:${PHOENIX_BQ_PORT:-9050}/bigquery/v2"
  echo "export BIGQUERY_STORAGE_EMULATOR_HOST=127.0.0.1:${PHOENIX_BQ_GRPC_PORT:-9060}"
  echo "export REDIS_URL=redis://127.0.0.1:${PHOENIX_REDIS_PORT:-6379}"
}

case "${1:-}" in
  install) with_lock install ;;
  up) with_lock up ;;
  down) with_lock down ;;
  status) status ;;
  env) env_vars ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
