#!/usr/bin/env bash
# soak.sh: one `airlock serve` on an embedded SQLite database under the
# load of many API clients for a long while, to see that it answers
# without errors and that its memory and goroutines stay flat (see
# bench/nodes/main.go for the mix of calls and what is reported).
#
# Usage (from anywhere in the repository):
#
#   bench/soak.sh [CLIENTS] [DURATION]
#
#   CLIENTS     concurrent API clients (default 100)
#   DURATION    how long the load lasts, a Go duration (default 10m)
#   SAMPLE      how often the server's memory and goroutines are sampled (default 1m)
#   LIFECYCLES  share of the clients running whole lifecycles (default 0.15)
#   GOROUTINES  set to 1 to stop the server with SIGQUIT at the end and print
#               its goroutines grouped by where they wait (to find a leak)
#
# It prints calls per second, errors (the goal: none), conflicts (votes
# and comments that lost a race between checkers, refused with 409) and
# latency percentiles; then the server's calls/s and errors per interval,
# its resident memory (VmRSS; its anonymous part; the part the Go runtime
# holds and the rest: the C code's, SQLite and its allocator), its live
# heap, what SQLite counts in its page caches (from /metrics; bounded at
# 32 MiB, about twice that resident), goroutines and open files, and the
# database's size
# (and of it the WAL's), idle before the
# load, at its start (after a warm-up of a tenth of DURATION, at most a
# minute), every SAMPLE, at its end and idle after it; and a verdict
# comparing the end with the start (the goal: flat; RSS within 20%,
# goroutines under load within one per client, idle goroutines back to
# those before the load give or take 5). It exits non-zero on any error
# or growth. The server listens on 127.0.0.1 only.
set -euo pipefail

clients=${1:-100}
dur=${2:-10m}
goroutines=false
if [ -n "${GOROUTINES:-}" ]; then goroutines=true; fi
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$repo" && go build -o "$work/airlock" ./cmd/airlock && go build -o "$work/nodes" ./bench/nodes)
"$work/nodes" -airlock "$work/airlock" -sqlite -nodes 1 -c "$clients" -d "$dur" \
  -sample "${SAMPLE:-1m}" -flat -lifecycles "${LIFECYCLES:-0.15}" -goroutines="$goroutines"
