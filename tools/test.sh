#!/usr/bin/env bash
# The README's test command (npm test): installs the local services if needed, starts
# them, runs lint, typecheck, unit and integration tests of every project, builds the
# apps, and stops the services it started. Extra arguments go to nx (e.g. --skip-nx-cache).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh

started=0
if ! bash tools/local/services.sh status >/dev/null 2>&1; then
  started=1
fi
cleanup() {
  if (( started )); then bash tools/local/services.sh down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
bash tools/local/services.sh up

# Unit and static checks may run in parallel; integration suites share one broker and
# one emulator, so they run one project at a time.
npx prettier --check 'apps/**/*.ts' 'libs/**/*.ts' 'tools/**/*.ts' 'benchmarks/**/*.ts'
npx nx run-many -t lint typecheck test build --parallel=2 --outputStyle=static "$@"
npx nx run-many -t integration --parallel=1 --outputStyle=static "$@"
