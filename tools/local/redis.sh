#!/usr/bin/env bash
# Local Redis without Docker and without root: Debian's own redis-server package (plus the
# libraries it needs) fetched with `apt-get download` and unpacked with `dpkg -x` into
# $PHOENIX_LOCAL_DIR/redis. Nothing is installed system-wide; nothing is persisted.
#
# Usage: tools/local/redis.sh <install|start|stop|status|reset|env|logs|help>
#   install  download and unpack the packages (skipped when the unpacked version is the
#            apt candidate), check that `redis-server --version` runs
#   start    start in the background on 127.0.0.1 (idempotent) and wait until PING answers
#   stop     SIGTERM, wait, then SIGKILL (idempotent)
#   status   exit 0 when running and answering PING, 3 when not
#   reset    FLUSHALL (the server keeps running; nothing is on disk to delete)
#   env      print the client environment (eval "$(tools/local/redis.sh env)")
#   logs     tail the server log of the current run
#
# Needs the apt package lists (/var/lib/apt/lists), which `apt-get update` (as root)
# creates; the download itself runs as any user. Run as root on a machine without the
# lists (a fresh CI machine), install runs `apt-get update` itself; otherwise it stops
# and says so.
#
# Environment:
#   PHOENIX_LOCAL_DIR            state dir (default: <repo>/.local); everything in <dir>/redis
#   PHOENIX_REDIS_PORT           port on 127.0.0.1 (default 6379)
#   PHOENIX_REDIS_START_TIMEOUT  seconds to wait for PING (default 20)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

LOCAL_DIR="$(realpath -m "${PHOENIX_LOCAL_DIR:-$REPO_ROOT/.local}")"
REDIS_DIR="$LOCAL_DIR/redis"
ROOT_DIR="$REDIS_DIR/root" # the unpacked packages (usr/bin, usr/lib/<triplet>)
DEBS_DIR="$REDIS_DIR/debs"
DATA_DIR="$REDIS_DIR/data" # working dir only: persistence is off
LOG_FILE="$REDIS_DIR/redis.log"
PID_FILE="$REDIS_DIR/redis.pid"
LOG_OFFSET_FILE="$REDIS_DIR/redis.log.offset" # where the current run's log starts
STAMP_FILE="$REDIS_DIR/install.stamp"
SERVER="$ROOT_DIR/usr/bin/redis-server"
CLI="$ROOT_DIR/usr/bin/redis-cli"
# Bump when the install steps below change, to force a re-install.
INSTALL_REV=1

PORT="${PHOENIX_REDIS_PORT:-6379}"
START_TIMEOUT="${PHOENIX_REDIS_START_TIMEOUT:-20}"
STOP_TIMEOUT=10

log() { printf '[redis.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=tools/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! [[ "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
  die "PHOENIX_REDIS_PORT must be a port number, got '$PORT'"
fi

# ---------------------------------------------------------------- helpers

ensure_dir() { ensure_state_dir "$REDIS_DIR"; }

# The unpacked shared libraries (libjemalloc, liblzf, ...) come before the system's.
lib_path() {
  local dirs=() d
  for d in "$ROOT_DIR"/usr/lib/*-linux-gnu "$ROOT_DIR"/lib/*-linux-gnu "$ROOT_DIR/usr/lib"; do
    [[ -d "$d" ]] && dirs+=("$d")
  done
  local IFS=:
  echo "${dirs[*]}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

run_bin() { # run_bin BINARY ARGS...: a binary from the unpacked packages, with their libraries
  LD_LIBRARY_PATH="$(lib_path)" "$@"
}

cli() { run_bin "$CLI" -h 127.0.0.1 -p "$PORT" "$@" </dev/null; }

# ping_ok: a Redis (ours or any) answers PING on the port; plain bash, so it also works
# before the install and tells "another Redis" from "something else" on a taken port.
ping_ok() {
  local reply
  # shellcheck disable=SC2016
  reply="$(bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "PING\r\n" >&3 && IFS= read -r -t 2 r <&3 && printf %s "$r"' "$PORT" 2>/dev/null)" || true
  [[ "$reply" == $'+PONG\r' ]]
}

# The apt candidate of redis-server, e.g. 5:7.0.15-1~deb12u10 (empty when apt does not know it).
candidate_version() {
  apt-cache policy redis-server 2>/dev/null | awk '/Candidate:/ { print $2; exit }'
}

installed_stamp() { [[ -f "$STAMP_FILE" ]] && cat "$STAMP_FILE"; }

binary_works() { [[ -x "$SERVER" ]] && run_bin "$SERVER" --version >/dev/null 2>&1; }

# Prints the server pid if the pid file points at this state dir's redis-server, on any
# port. Redis rewrites its process title to "<argv0> 127.0.0.1:<port>", which is what we
# match (the guard against pid reuse).
live_pid() { pid_from_file "$PID_FILE" "$SERVER 127.0.0.1:"; }

# live_port PID: the port that server listens on, from its process title.
live_port() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | sed -n 's/.* 127\.0\.0\.1:\([0-9]*\).*/\1/p'; }

# other_port_guard PID: dies when our server runs, but on another port than PORT.
other_port_guard() {
  local running
  running="$(live_port "$1")"
  [[ -z "$running" || "$running" == "$PORT" ]] && return 0
  die "this state dir's Redis already runs on port $running (pid $1), not $PORT; stop it first (stop finds it whatever the port): tools/local/redis.sh stop"
}

this_run_log() { # this_run_log N -> last N lines of the current run's log
  local from=1
  [[ -s "$LOG_OFFSET_FILE" ]] && from=$(($(cat "$LOG_OFFSET_FILE") + 1))
  tail -c "+$from" "$LOG_FILE" 2>/dev/null | tail -n "$1" || true
}

# ---------------------------------------------------------------- install

# redis-server is only a symlink to redis-check-rdb in redis-tools (Debian ships one
# binary for both); redis-tools also brings redis-cli, used for PING and FLUSHALL. The
# libraries are redis-tools' direct Depends except libc6, which must stay the host's
# (it has to match the host's dynamic loader). On bookworm: libatomic1, libjemalloc2,
# liblzf1, libssl3, libsystemd0 -- about 3.5 MB in all.
package_list() { # package_list VERSION
  printf '%s\n' "redis-server=$1" "redis-tools=$1"
  apt-cache depends "redis-tools=$1" 2>/dev/null \
    | awk '$1 == "Depends:" || $1 == "|Depends:" { print $2 }' \
    | grep -E '^lib' | grep -vE '^libc6(:|$)' | sort -u
}

cmd_install() {
  if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
    die "apt-get/dpkg not found: this script needs a Debian-based machine"
  fi
  local version
  version="$(candidate_version)"
  if [[ -z "$version" || "$version" == "(none)" ]] && ((EUID == 0)) && ! binary_works; then
    # A fresh machine (CI) has no package lists yet; as root the fix is ours to apply.
    log "apt knows no redis-server (package lists missing?); running apt-get update as root..."
    ensure_dir
    if ! apt-get update >"$REDIS_DIR/apt-update.log" 2>&1; then
      tail -n 20 "$REDIS_DIR/apt-update.log" >&2
      die "apt-get update failed (log: $REDIS_DIR/apt-update.log)"
    fi
    version="$(candidate_version)"
  fi
  if [[ -z "$version" || "$version" == "(none)" ]]; then
    if binary_works; then
      log "apt does not know redis-server (package lists missing?); keeping the unpacked $(installed_stamp)"
      return 0
    fi
    die "apt has no candidate for redis-server: the package lists (/var/lib/apt/lists) are missing or stale. Fix: run 'apt-get update' as root (sudo apt-get update), then retry"
  fi
  local want="$version rev=$INSTALL_REV"
  if [[ "$(installed_stamp)" == "$want" ]] && binary_works; then
    log "redis-server $version already unpacked in $ROOT_DIR"
    return 0
  fi
  # Replacing the files under a running server would pull its binary away.
  if live_pid >/dev/null; then
    if binary_works; then
      log "apt now offers redis-server $version (unpacked: $(installed_stamp)); keeping the running one, reinstall with: tools/local/redis.sh stop && tools/local/redis.sh install"
      return 0
    fi
    die "the unpacked Redis is broken but a server is running from it; stop it first: tools/local/redis.sh stop"
  fi

  ensure_dir
  local t0=$SECONDS pkgs=()
  mapfile -t pkgs < <(package_list "$version")
  log "downloading ${pkgs[*]} with apt-get download..."
  local tmp="$REDIS_DIR/install.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp/debs" "$tmp/root"
  # apt-get download writes into the cwd; as root it warns that the _apt sandbox user
  # cannot write there and downloads unsandboxed, which is harmless.
  if ! (cd "$tmp/debs" && apt-get download "${pkgs[@]}") >"$REDIS_DIR/install.log" 2>&1; then
    tail -n 20 "$REDIS_DIR/install.log" >&2
    rm -rf "$tmp"
    die "apt-get download failed (log: $REDIS_DIR/install.log); if apt cannot find a package, refresh the lists as root: apt-get update"
  fi
  local deb
  for deb in "$tmp"/debs/*.deb; do
    dpkg -x "$deb" "$tmp/root" || { rm -rf "$tmp"; die "dpkg -x failed on $(basename "$deb")"; }
  done
  rm -rf "$ROOT_DIR" "$DEBS_DIR"
  mv "$tmp/root" "$ROOT_DIR"
  mv "$tmp/debs" "$DEBS_DIR"
  rm -rf "$tmp"

  [[ -x "$SERVER" ]] || die "no usr/bin/redis-server in the unpacked packages ($ROOT_DIR)"
  local missing
  missing="$(run_bin ldd "$SERVER" 2>/dev/null | awk '/not found/ { print $1 }' | sort -u | tr '\n' ' ')"
  [[ -z "$missing" ]] || die "redis-server still misses shared libraries: $missing(install them with apt-get, or report which package provides them)"
  local out
  out="$(run_bin "$SERVER" --version 2>&1)" || die "the unpacked redis-server does not run: $out"
  echo "$want" >"$STAMP_FILE"
  log "installed $out"
  log "from $(find "$DEBS_DIR" -name '*.deb' | wc -l) packages in $((SECONDS - t0))s: $ROOT_DIR"
}

# ---------------------------------------------------------------- start

wait_ready() { # wait_ready PID
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "redis-server $pid exited during startup; last log lines:"
      this_run_log 30 >&2
      rm -f "$PID_FILE"
      return 1
    fi
    ping_ok && return 0
    sleep 0.1
  done
  log "redis-server not answering PING after ${START_TIMEOUT}s; last log lines:"
  this_run_log 30 >&2
  return 1
}

cmd_start() {
  local pid
  if pid="$(live_pid)"; then
    other_port_guard "$pid"
    if ping_ok; then
      log "already running (pid $pid, redis://127.0.0.1:$PORT)"
      return 0
    fi
    log "process $pid is up but PING does not answer yet; waiting"
    if ! wait_ready "$pid"; then
      cmd_stop
      exit 1
    fi
    return 0
  fi
  rm -f "$PID_FILE"
  if port_open "$PORT"; then
    local who="another process"
    ping_ok && who="another Redis (not ours: no pid file in $REDIS_DIR)"
    die "port $PORT on 127.0.0.1 is already in use by $who; pick a free port, e.g. PHOENIX_REDIS_PORT=6380 tools/local/redis.sh start (services.sh and its env honour the same variable)"
  fi

  cmd_install
  ensure_dir
  mkdir -p "$DATA_DIR"

  local t0=$SECONDS
  log "starting redis-server on redis://127.0.0.1:$PORT (no persistence), log: $LOG_FILE"
  if [[ -f "$LOG_FILE" ]] && (($(stat -c %s "$LOG_FILE") > 20 * 1024 * 1024)); then
    mv -f "$LOG_FILE" "$LOG_FILE.old"
  fi
  printf '\n===== %s start =====\n' "$(date -u +%FT%TZ)" >>"$LOG_FILE"
  stat -c %s "$LOG_FILE" >"$LOG_OFFSET_FILE"
  local launcher=()
  command -v setsid >/dev/null && launcher=(setsid)
  # Foreground server (daemonize no) behind nohup/setsid, like kafka.sh: the inner bash
  # writes its own pid then execs redis-server, so the pid file holds the server's pid.
  # No config file: every setting is on the command line. Persistence is off (--save '',
  # --appendonly no): the data is rate-limit counters and test keys. Protected mode stays
  # on; it only matters for non-loopback clients, and we bind to 127.0.0.1 alone.
  # shellcheck disable=SC2016
  LD_LIBRARY_PATH="$(lib_path)" \
    nohup "${launcher[@]}" bash -c 'echo $$ >"$0"; cd "$1" || exit 1; shift; exec "$@"' \
    "$PID_FILE" "$DATA_DIR" \
    "$SERVER" \
    --bind 127.0.0.1 --port "$PORT" --protected-mode yes \
    --daemonize no --logfile '' --loglevel notice \
    --save '' --appendonly no --dir "$DATA_DIR" \
    >>"$LOG_FILE" 2>&1 </dev/null &

  pid="$(await_pid_file "$PID_FILE")" || die "redis-server did not write its pid file"
  if ! wait_ready "$pid"; then
    cmd_stop # leave nothing half-started behind
    exit 1
  fi
  log "Redis ready (pid $pid) in $((SECONDS - t0))s at redis://127.0.0.1:$PORT"
}

# ---------------------------------------------------------------- stop / status / reset

cmd_stop() {
  local pid
  if ! pid="$(live_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  stop_pid "$pid" "$STOP_TIMEOUT" redis-server
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid="$(live_pid)"; then
    local running
    running="$(live_port "$pid")"
    if [[ -n "$running" && "$running" != "$PORT" ]]; then
      echo "redis: running on port $running (pid $pid), not on PHOENIX_REDIS_PORT=$PORT"
      exit 3
    fi
    if ping_ok; then
      echo "redis: running (pid $pid, redis://127.0.0.1:$PORT, $(run_bin "$SERVER" --version | awk '{ print $3 }'))"
      return 0
    fi
    echo "redis: process $pid alive but PING not answering (starting or unhealthy)"
    exit 3
  fi
  echo "redis: not running"
  exit 3
}

cmd_reset() {
  local pid
  pid="$(live_pid)" && other_port_guard "$pid"
  if [[ -z "$pid" ]] || ! ping_ok; then
    die "Redis is not running (tools/local/redis.sh start); nothing to flush, nothing is persisted"
  fi
  local out
  out="$(cli flushall 2>&1)"
  [[ "$out" == OK ]] || die "FLUSHALL failed: $out"
  log "flushed all keys on redis://127.0.0.1:$PORT"
}

cmd_env() {
  echo "export REDIS_URL=redis://127.0.0.1:$PORT"
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
