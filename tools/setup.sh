#!/usr/bin/env bash
# Installs what Phoenix needs beyond npm packages, into git-ignored folders:
# the Kafka jars (Maven → .local/kafka/libs), the BigQuery emulator (PyPI → .local/venv-bq)
# and Redis (Debian packages → .local/redis).
# Checks the machine first and says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v java >/dev/null || [[ -x /usr/bin/java ]] || missing+=("Java 17+ (the Kafka broker), e.g. apt-get install openjdk-17-jre-headless")
command -v mvn >/dev/null || missing+=("Maven (fetches the Kafka jars), e.g. apt-get install maven")
command -v python3 >/dev/null || missing+=("Python 3.11+ (the BigQuery emulator)")
command -v flock >/dev/null || missing+=("flock (util-linux)")
# Redis comes from Debian's packages, unpacked into .local/redis without installing them.
command -v apt-get >/dev/null || missing+=("apt-get (Redis is fetched from Debian's packages)")
command -v dpkg-deb >/dev/null || missing+=("dpkg-deb (unpacks the Redis packages)")
if command -v python3 >/dev/null && ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  missing+=("Python 3.11+ (found $(python3 --version 2>&1))")
fi
if [[ ! -x node_modules/.bin/node ]]; then
  missing+=("npm packages: run npm ci first")
fi
if (( ${#missing[@]} > 0 )); then
  echo "setup: this machine is missing:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi

bash tools/local/services.sh install
