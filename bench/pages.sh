#!/usr/bin/env bash
# pages.sh: requests per second of airlock's request overview page under
# load, against a hello-world handler measured in the same run (see
# bench/pages/main.go for what is measured).
#
# Usage (from anywhere in the repository):
#
#   bench/pages.sh [CONNECTIONS] [DURATION]
#
#   CONNECTIONS  concurrent connections (default 64)
#   DURATION     how long each server is loaded per round, a Go duration (default 20s)
#   ROUNDS       rounds of hello then airlock, alternately (default 3)
#   FILES        output files of the benchmark's request (default 5; the
#                issue's figure is for FILES=200)
#   UNCACHED     first renders after a change to time (default 40; 0: none)
#
# It prints the requests/s, errors and latency percentiles of both and
# the ratio airlock/hello of each round, and the median ratio (goal: at
# least 0.25); then the latency of the page's first render after each
# of UNCACHED changes to the request (a checker's comment), which no page
# cache can answer.
set -euo pipefail

conns=${1:-64}
dur=${2:-20s}
files=${FILES:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pages.XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$repo" && go build -o "$work/pages" ./bench/pages)
"$work/pages" -c "$conns" -d "$dur" -rounds "${ROUNDS:-3}" -files "$files" -uncached "${UNCACHED:-40}"
