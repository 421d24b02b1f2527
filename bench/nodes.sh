#!/usr/bin/env bash
# nodes.sh: several `airlock serve` nodes on one PostgreSQL database under
# the load of many API clients (see bench/nodes/main.go for the mix and
# what is reported).
#
# Usage (from anywhere in the repository):
#
#   bench/nodes.sh [CLIENTS] [DURATION]
#
#   CLIENTS     concurrent API clients (default 100)
#   DURATION    how long the load lasts, a Go duration (default 60s)
#   NODES       airlock serve processes (default 2)
#   LIFECYCLES  share of the clients running whole lifecycles (default 0.15)
#   DETAIL      set to 1 to also print each node's figures per kind of call
#
# It uses the PostgreSQL server AIRLOCK_TEST_DATABASE_URL names (its user
# must be allowed to create databases; the run makes one and drops it),
# or, when that is not set, starts a throwaway cluster as .ci/run does
# (.ci/postgres.sh) and stops it at the end. It prints calls per second,
# errors (the goal: none), conflicts (votes and comments that lost a race
# between checkers, refused with 409) and latency percentiles per node
# and per kind of call, and exits non-zero on any error.
set -euo pipefail

clients=${1:-100}
dur=${2:-60s}
detail=false
if [ -n "${DETAIL:-}" ]; then detail=true; fi
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/nodes.XXXXXX")

# shellcheck source=../.ci/postgres.sh
source "$repo/.ci/postgres.sh"
airlock_pg_start
trap 'airlock_pg_stop; rm -rf "$work"' EXIT

(cd "$repo" && go build -o "$work/airlock" ./cmd/airlock && go build -o "$work/nodes" ./bench/nodes)
"$work/nodes" -airlock "$work/airlock" -db "$AIRLOCK_TEST_DATABASE_URL" -c "$clients" -d "$dur" \
  -nodes "${NODES:-2}" -lifecycles "${LIFECYCLES:-0.15}" -detail="$detail"
