# Helpers shared by tools/local/kafka.sh and tools/local/bigquery.sh (sourced, not run).
# Each script defines log() and die() before sourcing this file.

# port_open PORT -> 0 if something accepts TCP on 127.0.0.1:PORT
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ensure_state_dir DIR: the service's state dir, self-ignored by git even without a root .gitignore entry.
ensure_state_dir() {
  mkdir -p "$1"
  [[ -f "$1/.gitignore" ]] || echo '*' >"$1/.gitignore"
}

# pid_from_file PID_FILE COMMAND_FRAGMENT: prints the pid if the file names a live process
# whose command line contains the fragment (a guard against pid reuse).
pid_from_file() {
  [[ -f "$1" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$1")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$2" || return 1
  echo "$pid"
}

# await_pid_file PID_FILE: waits up to 5 s for a freshly started service's pid file and
# prints the pid; fails if it never appears.
await_pid_file() {
  local _
  for _ in $(seq 1 50); do
    [[ -s "$1" ]] && break
    sleep 0.1
  done
  [[ -s "$1" ]] || return 1
  tr -dc '0-9' <"$1"
}

# stop_pid PID TIMEOUT_SECONDS NAME: SIGTERM, wait up to the timeout, then SIGKILL.
stop_pid() {
  local pid="$1" timeout="$2" name="$3"
  log "stopping $name (pid $pid)..."
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after ${timeout}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
}
