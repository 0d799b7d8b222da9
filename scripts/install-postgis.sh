#!/usr/bin/env bash
# Install Debian's PostgreSQL server and PostGIS for the PostGIS store tests and the benchmark,
# if they are not there yet. The tests start their own throwaway cluster on 127.0.0.1
# (tests/pg_cluster.py); nothing is configured system-wide and no service is started.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null \
  && compgen -G "/usr/share/postgresql/*/extension/postgis.control" >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "tanmap: installing Debian's PostgreSQL + PostGIS for the store tests (apt-get)..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# postgresql-common would create and start a system cluster; the tests need none of that.
$SUDO mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/tanmap.conf >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends postgresql postgresql-postgis >/dev/null
ls /usr/lib/postgresql/*/bin/pg_ctl
