#!/usr/bin/env bash
# The README's start command (npm start; npm run dev restarts apps when their code
# changes). Sets up what is missing (Kafka jars, the BigQuery emulator venv, Redis),
# starts the local services, migrates the warehouse, then runs the platform: ingest,
# the three subgraphs and the gateway, with demo data and a trickle of new events
# (tools/src/platform/start.ts). Ctrl-C stops every process it started — the services
# too, when this run started them.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m▶ %s\033[0m\n' "$*"; }

step "Checking the machine and installing local services (first run: a few minutes)"
bash tools/setup.sh

started_services=0
if ! bash tools/local/services.sh status >/dev/null 2>&1; then started_services=1; fi
cleanup() {
  local rc=$?
  if ((started_services)); then
    step "Stopping the local services this run started"
    bash tools/local/services.sh down || true
  fi
  exit "$rc"
}
trap cleanup EXIT

step "Starting Kafka, the BigQuery emulator and Redis"
bash tools/local/services.sh up
eval "$(bash tools/local/services.sh env)"

step "Migrating the warehouse (${BIGQUERY_PROJECT}.${BIGQUERY_DATASET:-phoenix})"
node_modules/.bin/tsx --tsconfig tools/tsconfig.lib.json tools/src/migrate.ts

# From here the platform process takes over this one (exec): a Ctrl-C or a signal to this
# process reaches it directly, and it stops the apps — and the services, when this run
# started them (PHOENIX_STOP_SERVICES_ON_EXIT).
trap - EXIT
export PHOENIX_STOP_SERVICES_ON_EXIT="$started_services"
TSX_TSCONFIG_PATH=tools/tsconfig.lib.json exec node_modules/.bin/node --import tsx tools/src/platform/start.ts
