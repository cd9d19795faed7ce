#!/usr/bin/env bash
# Local BigQuery API emulator without Docker: bqemulator (REST on PHOENIX_BQ_PORT, gRPC
# Storage Read/Write on PHOENIX_BQ_GRPC_PORT; DuckDB + SQLGlot), installed from PyPI into
# a venv with the pins in tools/local/bigquery/requirements.txt.
#
# Usage: tools/local/bigquery.sh <install|start|stop|status|reset|env|logs|help>
#   install  create/refresh the venv (skipped when requirements.txt is unchanged) and
#            link the DuckDB `spatial` extension from its wheel so no download is needed
#   start    start in the background (idempotent) and wait until the REST API answers
#   stop     SIGTERM, wait, then SIGKILL (idempotent)
#   status   exit 0 when running and answering, 3 when not
#   reset    stop and delete all emulator data (keeps the venv)
#   env      print the client environment (eval "$(tools/local/bigquery.sh env)")
#   logs     tail the emulator log
#
# Clients: Node @google-cloud/bigquery uses BIGQUERY_EMULATOR_HOST *verbatim as its base
# URL*, so it must be http://127.0.0.1:<port>/bigquery/v2 (a bare host:port gives 404s);
# or pass { projectId, apiEndpoint: 'http://127.0.0.1:<port>' } (the client appends
# /bigquery/v2 itself). See tools/local/bigquery/NOTES.md for the emulator's gaps.
#
# Environment:
#   PHOENIX_LOCAL_DIR           state dir (default: <repo>/.local); data in <dir>/bigquery,
#                               venv in <dir>/venv-bq
#   PHOENIX_BQ_PROJECT          default project id (default phoenix-local)
#   PHOENIX_BQ_PORT             REST port on 127.0.0.1 (default 9050)
#   PHOENIX_BQ_GRPC_PORT        gRPC port on 127.0.0.1 (default 9060)
#   PHOENIX_BQ_START_TIMEOUT    seconds to wait for readiness (default 60)
#   PHOENIX_BQ_EPHEMERAL        1 = in-memory, nothing kept across restarts (default 0:
#                               persistent DuckDB file <dir>/bigquery/db/bqemulator.duckdb)
#   PHOENIX_BQ_LOG_LEVEL        trace|debug|info|warning|error (default info)
#   PHOENIX_BQ_PYTHON           python used to create the venv (default python3, >= 3.11)
#   PHOENIX_BQ_PARSE_CACHE      0 = parse every statement afresh (default 1, see bigquery/launch.py)
#   PHOENIX_BQ_TIME_TRAVEL      1 = keep bqemulator's time-travel snapshots (a copy of the whole
#                               table after every write; default 0: off, see bigquery/launch.py)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CONF_DIR="$REPO_ROOT/tools/local/bigquery"
REQS="$CONF_DIR/requirements.txt"
# Runs bqemulator's own CLI with time-travel snapshots off (see the file's docstring).
LAUNCHER="$CONF_DIR/launch.py"

LOCAL_DIR="$(realpath -m "${PHOENIX_LOCAL_DIR:-$REPO_ROOT/.local}")"
BQ_DIR="$LOCAL_DIR/bigquery"
DB_DIR="$BQ_DIR/db"
LOG_FILE="$BQ_DIR/emulator.log"
PID_FILE="$BQ_DIR/emulator.pid"
LOG_OFFSET_FILE="$BQ_DIR/emulator.log.offset" # where the current run's log starts
VENV="$LOCAL_DIR/venv-bq"
# DuckDB looks for installed extensions in $HOME/.duckdb/extensions/v<ver>/<platform>/;
# the emulator runs with HOME pointing here (see link_duckdb_extensions).
DUCKDB_HOME="$VENV/duckdb-home"
HASH_FILE="$VENV/.phoenix-install.sha256"
# Bump when the install steps below change, to force a re-install.
INSTALL_REV=1

PROJECT="${PHOENIX_BQ_PROJECT:-phoenix-local}"
PORT="${PHOENIX_BQ_PORT:-9050}"
GRPC_PORT="${PHOENIX_BQ_GRPC_PORT:-9060}"
START_TIMEOUT="${PHOENIX_BQ_START_TIMEOUT:-60}"
EPHEMERAL="${PHOENIX_BQ_EPHEMERAL:-0}"
LOG_LEVEL="${PHOENIX_BQ_LOG_LEVEL:-info}"
PYTHON="${PHOENIX_BQ_PYTHON:-python3}"
STOP_TIMEOUT=20
READY_URL="http://127.0.0.1:$PORT/bigquery/v2/projects/$PROJECT/datasets"

log() { printf '[bigquery.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=tools/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------- helpers

install_hash() {
  { cat "$REQS"; echo "rev=$INSTALL_REV"; "$PYTHON" -c 'import sys; print(sys.version)'; } \
    | sha256sum | cut -d' ' -f1
}

installed() {
  [[ -x "$VENV/bin/bqemulator" && -f "$HASH_FILE" && "$(cat "$HASH_FILE")" == "$(install_hash)" ]] \
    && compgen -G "$DUCKDB_HOME/.duckdb/extensions/v*/*/spatial.duckdb_extension" >/dev/null
}

ensure_dir() { ensure_state_dir "$BQ_DIR"; }

rest_ready() { # a real API call, not just an open port
  local body
  if command -v curl >/dev/null; then
    body="$(curl -fsS -m 3 "$READY_URL" 2>/dev/null)" || return 1
  else
    body="$("$VENV/bin/python" -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode())' "$READY_URL" 2>/dev/null)" || return 1
  fi
  [[ "$body" == *'bigquery#datasetList'* ]]
}

# Prints the emulator pid if the pid file points at our venv's bqemulator (the command-line check guards against pid reuse).
live_pid() { pid_from_file "$PID_FILE" "tools/local/bigquery/launch.py start"; }

this_run_log() { # this_run_log N -> last N lines of the current run's log
  local from=1
  [[ -s "$LOG_OFFSET_FILE" ]] && from=$(($(cat "$LOG_OFFSET_FILE") + 1))
  tail -c "+$from" "$LOG_FILE" 2>/dev/null | grep -v 'sql.translator.init' | tail -n "$1" || true
}

# ---------------------------------------------------------------- install

# bqemulator runs `INSTALL spatial; LOAD spatial` on every start and refuses to start if
# that fails; INSTALL would download the extension, which is not possible here. The
# duckdb_extension_spatial wheel ships the binary for exactly our duckdb version as
# <site-packages>/duckdb_extension_spatial/extensions/v<ver>/spatial.duckdb_extension.
# We symlink it into <venv>/duckdb-home/.duckdb/extensions/v<ver>/<platform>/ and start the
# emulator with HOME=<venv>/duckdb-home: DuckDB then sees the extension as installed, its
# INSTALL is a no-op and LOAD loads the (signed) file. No patching of bqemulator.
link_duckdb_extensions() {
  "$VENV/bin/python" - "$DUCKDB_HOME" <<'PY'
import pathlib, sys, sysconfig
import duckdb

home = pathlib.Path(sys.argv[1])
ver = "v" + duckdb.__version__
plat = duckdb.connect().execute("PRAGMA platform").fetchone()[0]
site = pathlib.Path(sysconfig.get_paths()["purelib"])
dest = home / ".duckdb" / "extensions" / ver / plat
dest.mkdir(parents=True, exist_ok=True)
names = []
for src in sorted(site.glob(f"duckdb_extension_*/extensions/{ver}/*.duckdb_extension")):
    link = dest / src.name
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(src)
    names.append(src.stem)
if "spatial" not in names:
    sys.exit(f"no spatial.duckdb_extension for duckdb {ver} under {site} (requirements.txt pins?)")
print(f"linked DuckDB extensions {names} into {dest}")
PY
  # Verify exactly what bqemulator does at start, with autoinstall off.
  HOME="$DUCKDB_HOME" "$VENV/bin/python" - <<'PY'
import os
import duckdb

con = duckdb.connect()
con.execute("SET autoinstall_known_extensions = false")
con.execute("INSTALL spatial")
con.execute("LOAD spatial")
path = con.execute(
    "SELECT install_path FROM duckdb_extensions() WHERE extension_name = 'spatial' AND loaded"
).fetchone()[0]
assert path.startswith(os.environ["HOME"]), f"spatial loaded from unexpected path {path}"
assert con.execute("SELECT ST_AsText(ST_Point(1, 2))").fetchone()[0] == "POINT (1 2)"
PY
}

cmd_install() {
  command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set PHOENIX_BQ_PYTHON)"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$PYTHON is $("$PYTHON" -V 2>&1); bqemulator needs Python >= 3.11 (set PHOENIX_BQ_PYTHON)"
  if installed; then
    log "venv up to date ($VENV)"
    return 0
  fi
  # Replacing the venv under a running emulator would delete its interpreter and packages.
  if live_pid >/dev/null; then
    die "the emulator venv needs reinstalling (requirements changed) but the emulator is running from it; stop it first: tools/local/bigquery.sh stop"
  fi
  log "creating venv $VENV and installing tools/local/bigquery/requirements.txt (about a minute)..."
  mkdir -p "$LOCAL_DIR"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input \
      --only-binary=:all: -r "$REQS" >"$VENV/install.log" 2>&1; then
    tail -n 40 "$VENV/install.log" >&2
    die "pip install failed (log: $VENV/install.log)"
  fi
  "$VENV/bin/python" -m pip check --disable-pip-version-check >>"$VENV/install.log" 2>&1 \
    || { tail -n 20 "$VENV/install.log" >&2; die "pip check failed (log: $VENV/install.log)"; }
  link_duckdb_extensions >&2 || die "offline DuckDB spatial extension setup failed"
  install_hash >"$HASH_FILE"
  log "installed $("$VENV/bin/bqemulator" --version 2>/dev/null | tail -n 1) with duckdb $("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')"
}

# ---------------------------------------------------------------- start

wait_ready() { # wait_ready PID
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "emulator process $pid exited during startup; last log lines:"
      this_run_log 40 >&2
      rm -f "$PID_FILE"
      return 1
    fi
    if rest_ready && port_open "$GRPC_PORT"; then
      return 0
    fi
    sleep 0.2
  done
  log "emulator not ready after ${START_TIMEOUT}s; last log lines:"
  this_run_log 40 >&2
  return 1
}

cmd_start() {
  local pid
  if pid="$(live_pid)"; then
    if rest_ready; then
      log "already running (pid $pid, http://127.0.0.1:$PORT, gRPC 127.0.0.1:$GRPC_PORT, project $PROJECT)"
      return 0
    fi
    log "process $pid is up but the REST API is not answering yet; waiting"
    if ! wait_ready "$pid"; then
      cmd_stop
      exit 1
    fi
    return 0
  fi
  rm -f "$PID_FILE"
  if port_open "$PORT"; then
    die "port $PORT is already in use by another process (set PHOENIX_BQ_PORT)"
  fi
  if port_open "$GRPC_PORT"; then
    die "port $GRPC_PORT is already in use by another process (set PHOENIX_BQ_GRPC_PORT)"
  fi

  cmd_install
  ensure_dir

  local storage=()
  if [[ "$EPHEMERAL" == 1 ]]; then
    storage=(--ephemeral)
  else
    mkdir -p "$DB_DIR"
    storage=(--persistent --data-dir "$DB_DIR")
  fi

  local t0=$SECONDS
  log "starting bqemulator on http://127.0.0.1:$PORT (gRPC 127.0.0.1:$GRPC_PORT, project $PROJECT, $([[ "$EPHEMERAL" == 1 ]] && echo in-memory || echo "data $DB_DIR")), log: $LOG_FILE"
  if [[ -f "$LOG_FILE" ]] && (($(stat -c %s "$LOG_FILE") > 20 * 1024 * 1024)); then
    mv -f "$LOG_FILE" "$LOG_FILE.old"
  fi
  printf '\n===== %s start =====\n' "$(date -u +%FT%TZ)" >>"$LOG_FILE"
  stat -c %s "$LOG_FILE" >"$LOG_OFFSET_FILE"
  local launcher=()
  command -v setsid >/dev/null && launcher=(setsid)
  # HOME: where DuckDB finds the pre-linked spatial extension (see link_duckdb_extensions).
  # Avro load/extract needs another DuckDB extension download; we do not use it, so skip it.
  # cwd = data dir, so no stray .bqemu.toml from the caller's cwd is picked up.
  # The inner bash writes its own pid then execs the emulator, so the pid file holds its pid.
  # shellcheck disable=SC2016
  HOME="$DUCKDB_HOME" \
    BQEMU_ENABLE_FORMAT_EXTENSIONS=false \
    BQEMU_UPLOAD_STAGING_DIR="$BQ_DIR/uploads" \
    nohup "${launcher[@]}" bash -c 'echo $$ >"$0"; cd "$1" || exit 1; shift; exec "$@"' \
    "$PID_FILE" "$BQ_DIR" \
    "$VENV/bin/python" "$LAUNCHER" start \
    --rest-host 127.0.0.1 --rest-port "$PORT" \
    --grpc-host 127.0.0.1 --grpc-port "$GRPC_PORT" \
    --project "$PROJECT" "${storage[@]}" \
    --log-format json --log-level "$LOG_LEVEL" \
    >>"$LOG_FILE" 2>&1 </dev/null &

  pid="$(await_pid_file "$PID_FILE")" || die "emulator did not write its pid file"
  if ! wait_ready "$pid"; then
    cmd_stop # leave nothing half-started behind
    exit 1
  fi
  log "bqemulator ready (pid $pid) in $((SECONDS - t0))s: http://127.0.0.1:$PORT (BIGQUERY_EMULATOR_HOST=http://127.0.0.1:$PORT/bigquery/v2)"
}

# ---------------------------------------------------------------- stop / status / reset

cmd_stop() {
  local pid
  if ! pid="$(live_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  stop_pid "$pid" "$STOP_TIMEOUT" bqemulator
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid="$(live_pid)"; then
    if rest_ready; then
      echo "bigquery: running (pid $pid, http://127.0.0.1:$PORT, gRPC 127.0.0.1:$GRPC_PORT, project $PROJECT)"
      return 0
    fi
    echo "bigquery: process $pid alive but REST not answering (starting or unhealthy)"
    exit 3
  fi
  echo "bigquery: not running"
  exit 3
}

cmd_reset() {
  cmd_stop
  rm -rf "$BQ_DIR"
  log "data removed ($BQ_DIR); venv kept in $VENV"
}

cmd_env() {
  cat <<EOF
export BIGQUERY_EMULATOR_HOST=http://127.0.0.1:$PORT/bigquery/v2
export BIGQUERY_STORAGE_EMULATOR_HOST=127.0.0.1:$GRPC_PORT
export PHOENIX_BQ_PROJECT=$PROJECT
export PHOENIX_BQ_API_ENDPOINT=http://127.0.0.1:$PORT
EOF
}

cmd_logs() {
  [[ -f "$LOG_FILE" ]] || die "no log yet ($LOG_FILE)"
  this_run_log "${1:-60}"
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

case "${1:-help}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  env) cmd_env ;;
  logs) cmd_logs "${2:-60}" ;;
  help | -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
