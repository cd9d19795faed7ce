#!/usr/bin/env bash
# The README's start command (npm start). At this stage of Phoenix it brings up the
# local platform underneath the apps: installs what is missing (Kafka jars, the
# BigQuery emulator venv), starts Kafka and the emulator, creates the topics, migrates
# the warehouse, and checks both from the ingest app's own code. Services keep running
# afterwards; `npm run services:down` stops them.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m▶ %s\033[0m\n' "$*"; }

step "Checking the machine and installing local services (first run: about a minute)"
bash tools/setup.sh

step "Starting Kafka and the BigQuery emulator"
bash tools/local/services.sh up

eval "$(bash tools/local/services.sh env)"

step "Migrating the warehouse (${BIGQUERY_PROJECT}.${BIGQUERY_DATASET:-phoenix})"
node_modules/.bin/tsx --tsconfig tools/tsconfig.lib.json tools/src/migrate.ts

step "Checking Kafka topics and warehouse tables from the ingest app"
if ! preflight_log="$(node_modules/.bin/tsx --tsconfig apps/ingest/tsconfig.app.json apps/ingest/src/cli/preflight.ts 2>&1)"; then
  echo "$preflight_log" >&2
  echo "start: the preflight failed; the lines above say what is missing" >&2
  exit 1
fi

step "Status"
bash tools/local/services.sh status
cat <<MSG

Phoenix's local platform is up:
  Kafka            ${KAFKA_BROKERS}   (topics: tools/local/kafka/topics.conf)
  BigQuery API     ${BIGQUERY_EMULATOR_HOST}   (project ${BIGQUERY_PROJECT}, dataset ${BIGQUERY_DATASET:-phoenix})

Use them from a shell:   eval "\$(bash tools/local/services.sh env)"
Stop them:               npm run services:down
Run the ingest:         npm run ingest     (docs/ingest.md; metrics on http://127.0.0.1:9464/metrics)
Backfill a file:        npm run import -- <file.ndjson>   (docs/backfill.md)
The subgraphs and the gateway are not built yet (issues #4, #5).
MSG
