#!/usr/bin/env bash
# Starts two throw-away clusters of Debian's PostgreSQL 15 server on loopback, each with a non-superuser owner role
# (LOGIN CREATEROLE CREATEDB, exactly what the README asks of a real installation), and prints the environment the
# test suite reads to run against them instead of the embedded PostgreSQL:
#   eval "$(bash .ci/postgres-clusters.sh)"   # then: npx vitest run
# Stop them with: bash .ci/postgres-clusters.sh stop
set -euo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/1[5-9]/bin 2>/dev/null | sort -V | head -n 1)}
BASE=${STUDIOHIVE_PG_BASE:-/tmp/studiohive-ci-pg}
OWNER=studiohive_owner
OWNER_PASSWORD=ci-owner-password-not-secret
SUPER_PASSWORD=ci-superuser-password-not-secret
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop_all() {
  for dir in "$BASE"/main "$BASE"/second; do
    [ -d "$dir" ] && as_postgres "$PGBIN/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
  done
  rm -rf "$BASE"
}
if [ "${1:-}" = stop ]; then stop_all; exit 0; fi
# Always new and empty: the suite expects a fresh database, as the embedded one is on every run.
stop_all

[ -x "$PGBIN/postgres" ] || { echo "No PostgreSQL server binaries (apt-get install postgresql-15)" >&2; exit 1; }
mkdir -p "$BASE"
[ "$(id -u)" = 0 ] && chown postgres "$BASE"
port=55432
declare -A urls
for name in main second; do
  dir="$BASE/$name"
  if [ ! -f "$dir/PG_VERSION" ]; then
    printf '%s\n' "$SUPER_PASSWORD" > "$BASE/pw"
    [ "$(id -u)" = 0 ] && chown postgres "$BASE/pw"
    as_postgres "$PGBIN/initdb" -D "$dir" -U postgres --auth=scram-sha-256 --pwfile="$BASE/pw" -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$BASE/pw"
  fi
  if ! as_postgres "$PGBIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    # wal_level=logical: tier moves use logical replication (a real server must allow it too).
    as_postgres "$PGBIN/pg_ctl" -D "$dir" -l "$BASE/$name.log" -w -o "-p $port -k $BASE -c listen_addresses=127.0.0.1 -c max_connections=300 -c wal_level=logical -c fsync=off" start >/dev/null
  fi
  super="postgres://postgres:${SUPER_PASSWORD}@127.0.0.1:${port}"
  psql -q -v ON_ERROR_STOP=1 "$super/postgres" <<SQL >/dev/null
select 'create role $OWNER login createrole createdb password ''$OWNER_PASSWORD'''
 where not exists (select 1 from pg_roles where rolname = '$OWNER') \gexec
select 'create database studiohive_test owner $OWNER'
 where not exists (select 1 from pg_database where datname = 'studiohive_test') \gexec
SQL
  urls[$name]="postgres://${OWNER}:${OWNER_PASSWORD}@127.0.0.1:${port}/studiohive_test"
  urls[super_$name]="$super/studiohive_test"
  port=$((port + 1))
done
echo "export TEST_DATABASE_URL='${urls[main]}'"
echo "export TEST_SUPERUSER_URL='${urls[super_main]}'"
echo "export TEST_EXTRA_CLUSTERS='{\"second\":\"${urls[second]}\"}'"
echo "export TEST_EXTRA_SUPERUSER_URLS='{\"second\":\"${urls[super_second]}\"}'"
