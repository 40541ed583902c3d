#!/usr/bin/env bash
# Makes sure the services the tests need are running on this machine:
#   Redis      127.0.0.1:6379
#   PostgreSQL 127.0.0.1:5432, trust auth for local TCP, a database "test"
# Starts them when they are installed but stopped; installs them (Debian packages) when absent.
set -euo pipefail

log() { echo "services: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
if ! redis_up; then
  command -v redis-server >/dev/null || { log "installing redis-server"; apt_install redis-server redis-tools; }
  log "starting redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp
  for _ in $(seq 1 50); do redis_up && break; sleep 0.2; done
  redis_up || { log "redis did not start"; exit 1; }
fi
log "redis ok"
# The reliability suite (npm run test:faults) also runs a redis-server of its own.
command -v redis-server >/dev/null || { log "installing redis-server"; apt_install redis-server redis-tools; }

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! command -v pg_ctlcluster >/dev/null; then log "installing postgresql"; apt_install postgresql; fi
if ! pg_up; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # trust for local TCP connections: the tests connect as the current user without a password
  if ! grep -q "nianbao-ci" "$hba"; then
    log "enabling trust auth on 127.0.0.1 for the tests"
    as_root sed -i '1i host all all 127.0.0.1/32 trust # nianbao-ci\nhost all all ::1/128 trust # nianbao-ci\nlocal all all trust # nianbao-ci' "$hba"
  fi
  log "starting postgresql $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 50); do pg_up && break; sleep 0.2; done
  pg_up || { log "postgresql did not start"; exit 1; }
fi
user=$(id -un)
psql_pg() { if [ "$user" = postgres ]; then psql "$@"; else as_root su postgres -c "psql $(printf '%q ' "$@")"; fi; }
if ! psql -h 127.0.0.1 -d test -tAc 'select 1' >/dev/null 2>&1; then
  log "creating role $user and database test"
  psql_pg -h 127.0.0.1 -tAc "do \$\$ begin if not exists (select from pg_roles where rolname = '$user') then create role \"$user\" superuser login; end if; end \$\$" >/dev/null || true
  psql_pg -h 127.0.0.1 -tAc "create database test owner \"$user\"" >/dev/null 2>&1 || true
fi
psql -h 127.0.0.1 -d test -tAc 'select 1' >/dev/null || { log "cannot connect to database test"; exit 1; }
log "postgresql ok"

# The browser test (test/dashboard.browser.test.ts) drives Debian's chromium; a CJK font keeps
# the Chinese of its screenshots legible.
if [ ! -x /usr/bin/chromium ]; then log "installing chromium"; apt_install chromium; fi
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then log "installing a CJK font"; apt_install fonts-wqy-microhei; fi
log "chromium ok"

# The OCR reader's test (test/ocr.test.ts) runs Tesseract with the Simplified-Chinese model and
# poppler's pdftoppm, all Debian packages.
if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx chi_sim || ! command -v pdftoppm >/dev/null; then
  log "installing tesseract-ocr, tesseract-ocr-chi-sim and poppler-utils"
  apt_install tesseract-ocr tesseract-ocr-chi-sim poppler-utils
fi
log "ocr tools ok"
