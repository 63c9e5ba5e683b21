#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and local trials: its own data folder,
# a local port, trust authentication on loopback, C collation (the same byte order
# as SQLite), and durability settings relaxed only where a crash of the whole
# machine is the one thing that could lose data (fsync off; commits stay synchronous).
#
#   scripts/throwaway-postgres.sh start [dir] [port]   prints the EIU_DB URL
#   scripts/throwaway-postgres.sh stop  [dir]
#
# Run as root it runs the server as the `postgres` user, as Debian expects.
set -euo pipefail
command_name=${1:?start or stop}
dir=${2:-${TMPDIR:-/tmp}/eiu-postgres}
port=${3:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ]; then echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command_name" in
  start)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres: "$dir"
      as_owner "$bin/initdb" -D "$dir/data" -U eiu --auth=trust --locale=C --encoding=UTF8 >"$dir/initdb.log"
      cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
full_page_writes = off
max_connections = 300
shared_buffers = 128MB
CONF
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
    echo "postgres://eiu@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
    ;;
  *) echo "start or stop" >&2; exit 2 ;;
esac
