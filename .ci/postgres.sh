# shellcheck shell=bash
# Sourced by .ci/run (and usable by hand: `source .ci/postgres.sh`).
#
# When AIRLOCK_TEST_DATABASE_URL is not set, start a throwaway PostgreSQL
# cluster for the tests and export the variable:
#   - install Debian's postgresql when no initdb is found (in PATH or in
#     /usr/lib/postgresql/*/bin);
#   - initdb as the postgres user (initdb refuses root) in a temporary
#     folder, fsync off, listening on 127.0.0.1 at a free port, its socket
#     in that folder;
#   - start it with pg_ctl, create a user allowed to create databases (each
#     test makes its own) and a database of the same name;
#   - stop it and delete the folder when the shell exits.

airlock_pg_dir=""
airlock_pg_bin=""

# airlock_pg_as_owner runs a command as the user who owns the cluster:
# postgres when we are root, ourselves otherwise.
airlock_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# airlock_pg_find_bin prints the folder holding initdb, pg_ctl and
# postgres, or nothing.
airlock_pg_find_bin() {
  local initdb dir
  if initdb=$(command -v initdb 2>/dev/null); then
    dir=$(dirname "$(readlink -f "$initdb")")
    if [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return
    fi
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return
    fi
  done
}

# airlock_pg_port_free reports whether nothing listens on 127.0.0.1:$1.
airlock_pg_port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

airlock_pg_stop() {
  if [ -n "$airlock_pg_dir" ] && [ -d "$airlock_pg_dir" ]; then
    if [ -f "$airlock_pg_dir/data/postmaster.pid" ]; then
      airlock_pg_as_owner "$airlock_pg_bin/pg_ctl" -D "$airlock_pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$airlock_pg_dir"
  fi
  airlock_pg_dir=""
}

airlock_pg_start() {
  if [ -n "${AIRLOCK_TEST_DATABASE_URL:-}" ]; then
    echo "AIRLOCK_TEST_DATABASE_URL is set: using that PostgreSQL"
    return 0
  fi

  airlock_pg_bin=$(airlock_pg_find_bin)
  if [ -z "$airlock_pg_bin" ]; then
    echo "no initdb found: installing Debian's postgresql"
    local sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    airlock_pg_bin=$(airlock_pg_find_bin)
    if [ -z "$airlock_pg_bin" ]; then
      echo "postgresql installed, but no initdb found in PATH or /usr/lib/postgresql/*/bin" >&2
      return 1
    fi
  fi

  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/sh postgres
  fi

  airlock_pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/airlock-pg.XXXXXX")
  chmod 755 "$airlock_pg_dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$airlock_pg_dir"; fi
  trap airlock_pg_stop EXIT

  airlock_pg_as_owner "$airlock_pg_bin/initdb" -D "$airlock_pg_dir/data" -U postgres \
    --auth=trust --encoding=UTF8 --no-locale --no-sync >"$airlock_pg_dir/initdb.log" 2>&1 || {
    cat "$airlock_pg_dir/initdb.log" >&2
    return 1
  }

  local port="" try
  for try in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 40000))
    airlock_pg_port_free "$port" || continue
    if airlock_pg_as_owner "$airlock_pg_bin/pg_ctl" -D "$airlock_pg_dir/data" -l "$airlock_pg_dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$airlock_pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
      break
    fi
    port=""
  done
  if [ -z "$port" ]; then
    echo "could not start PostgreSQL; its log:" >&2
    cat "$airlock_pg_dir/server.log" >&2 || true
    return 1
  fi

  airlock_pg_as_owner "$airlock_pg_bin/psql" -q -v ON_ERROR_STOP=1 -h "$airlock_pg_dir" -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE airlock LOGIN CREATEDB PASSWORD 'airlock'" \
    -c "CREATE DATABASE airlock OWNER airlock" >/dev/null

  export AIRLOCK_TEST_DATABASE_URL="postgres://airlock:airlock@127.0.0.1:$port/airlock?sslmode=disable"
  echo "PostgreSQL $("$airlock_pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (in $airlock_pg_dir); AIRLOCK_TEST_DATABASE_URL set"
}
