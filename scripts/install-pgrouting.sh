#!/usr/bin/env bash
# Install Debian's pgRouting for the walking-reach benchmark (benchmarks/walk.py times a
# multi-source pgr_drivingDistance against tanmap's search), on top of the project's PostgreSQL +
# PostGIS (scripts/install-postgis.sh). Bench-only: `make test` does not need it. The benchmark
# starts its own throwaway cluster (tests/pg_cluster.py); no service is started here.
set -euo pipefail
bash "$(dirname "$0")/install-postgis.sh" >/dev/null
if compgen -G "/usr/share/postgresql/*/extension/pgrouting.control" >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "tanmap: installing Debian's pgRouting for the walking-reach benchmark (apt-get)..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql-pgrouting >/dev/null
ls /usr/share/postgresql/*/extension/pgrouting.control
