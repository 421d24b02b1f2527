#!/usr/bin/env bash
# add-file.sh: how long adding a big file to a release request takes, as
# a researcher waits for it, against its budget (CONTRIBUTING.md,
# "Performance budgets": at most the time of cp followed by sha256sum on
# the same file).
#
# Usage (from anywhere in the repository):
#
#   bench/add-file.sh [SIZE_MIB]
#
#   SIZE_MIB      size of each test file in MiB (default 512, or $SIZE_MIB)
#   ROUNDS        rounds per file (default 3); medians are reported
#   BENCH_DIR     folder for the test files (default: a new temporary folder
#                 under ${TMPDIR:-/tmp}); put it on the file system you care
#                 about, since both sides write there. Removed at the end.
#   DROP_CACHES   auto (default): drop the page cache before every timed
#                 command when /proc/sys/vm/drop_caches is writable (root),
#                 so both sides read the source cold; no: never (both sides
#                 then read it warm, from the page cache).
#
# It writes two files: random bytes named table.csv (binary: the checks
# see it is not text from its first bytes) and a realistic table of counts
# named counts.csv (bench/counttable: labels, rounded and redacted counts,
# a rate; ~13 million rows for 512 MiB). For each, bench/addapi starts
# `airlock serve` (SQLite) and times, in alternating order:
#   (a) the add through the JSON API (POST .../request/files): open, copy,
#       sha256, disclosure checks, database: one read of the file
#   (b) cp FILE DEST && sha256sum FILE: two passes, no fsync
# and prints every time, the medians and the ratio (a)/(b); the budget is
# met when the ratio is at most 1.
set -euo pipefail

size_mib=${1:-${SIZE_MIB:-512}}
rounds=${ROUNDS:-3}
drop=${DROP_CACHES:-auto}
repo=$(cd "$(dirname "$0")/.." && pwd)

case $size_mib in '' | *[!0-9]*) echo "SIZE_MIB must be a whole number of MiB" >&2; exit 2 ;; esac
case $rounds in '' | *[!0-9]* | 0) echo "ROUNDS must be a positive whole number" >&2; exit 2 ;; esac

if [ -n "${BENCH_DIR:-}" ]; then
  mkdir -p "$BENCH_DIR"
  work=$(mktemp -d "$BENCH_DIR/add-file.XXXXXX")
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/add-file.XXXXXX")
fi
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

drop_flag=
if [ "$drop" = auto ] && [ -w /proc/sys/vm/drop_caches ]; then
  # Writable is not enough inside some containers: try once.
  if sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then drop_flag=-drop; fi
fi
if [ -n "$drop_flag" ]; then cache="cold: page cache dropped before each command"; else cache="warm: page cache not dropped (not root, or DROP_CACHES=no)"; fi

echo "building airlock, bench/addapi and bench/counttable"
(cd "$repo" && go build -o "$work/airlock" ./cmd/airlock && go build -o "$work/addapi" ./bench/addapi &&
  go build -o "$work/counttable" ./bench/counttable)

mkdir -p "$work/files"
echo "writing $size_mib MiB of random bytes to table.csv and a $size_mib MiB table of counts to counts.csv"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/files/table.csv"
"$work/counttable" -size "${size_mib}MiB" "$work/files/counts.csv"
sync

echo "file system: $(df -PT "$work" | awk 'NR == 2 { print $2 " on " $7 }'); $(nproc) cores; $rounds rounds; $cache"
for f in table.csv counts.csv; do
  echo
  echo "== $f"
  mkdir -p "$work/run-$f"
  "$work/addapi" -airlock "$work/airlock" -dir "$work/run-$f" -file "$work/files/$f" -rounds "$rounds" $drop_flag
  rm -rf "$work/run-$f"
done
