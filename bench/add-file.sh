#!/usr/bin/env bash
# add-file.sh: how long adding a big file to a release request takes,
# against its budget (CONTRIBUTING.md, "Performance budgets": at most the
# time of cp followed by sha256sum on the same file).
#
# Usage (from anywhere in the repository):
#
#   bench/add-file.sh [SIZE_MIB]
#
#   SIZE_MIB      size of the test file in MiB (default 1024, or $SIZE_MIB)
#   ROUNDS        rounds to run (default 5); medians are reported
#   BENCH_DIR     folder for the test files (default: a new temporary folder
#                 under ${TMPDIR:-/tmp}); put it on the file system you care
#                 about, since both sides write there. Removed at the end.
#   DROP_CACHES   auto (default): drop the page cache before every timed
#                 command when /proc/sys/vm/drop_caches is writable (root),
#                 so both sides read the source cold; no: never (both sides
#                 then read it warm, from the page cache).
#   WITH_SYNC     1: also time "cp && sync DEST && sha256sum", for reference
#                 (the Go side fsyncs what it stores; plain cp does not).
#
# It writes a file of random data, builds bench/addfile (which calls
# blobstore.New and Put on the file and prints its sha256), then in each
# round times, in alternating order:
#   (a) addfile ROOT FILE               one read: hash and write overlap, fsync
#   (b) cp FILE DEST && sha256sum FILE  two passes, no fsync
# Untimed between commands: the outputs are removed and `sync` runs, so no
# command pays for the previous one's writeback. It prints every time, the
# medians and the ratio (a)/(b); the budget is met when the ratio is <= 1.
set -euo pipefail

size_mib=${1:-${SIZE_MIB:-1024}}
rounds=${ROUNDS:-5}
drop=${DROP_CACHES:-auto}
with_sync=${WITH_SYNC:-0}
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

can_drop=0
if [ "$drop" = auto ] && [ -w /proc/sys/vm/drop_caches ]; then
  # Writable is not enough inside some containers: try once.
  if sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then can_drop=1; fi
fi

now_ns() { date +%s%N; }

# settle: untimed; leaves no dirty pages behind and, when it can, an empty
# page cache.
settle() {
  rm -rf "$work/root" "$work/dest"
  sync
  if [ "$can_drop" = 1 ]; then echo 3 >/proc/sys/vm/drop_caches; fi
}

# timed LABEL CMD...: runs CMD and appends its seconds to $work/LABEL.times.
timed() {
  local label=$1 start end
  shift
  settle
  start=$(now_ns)
  "$@" >"$work/$label.out"
  end=$(now_ns)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }' >>"$work/$label.times"
  printf '  %-12s %6.3f s\n' "$label" "$(tail -n1 "$work/$label.times")"
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "building bench/addfile"
(cd "$repo" && go build -o "$work/addfile" ./bench/addfile)

echo "writing $size_mib MiB of random data to $work/file"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/file"
sync

go_add() { "$work/addfile" "$work/root" "$work/file"; }
cp_sha() { cp "$work/file" "$work/dest" && sha256sum "$work/file"; }
cp_sync_sha() { cp "$work/file" "$work/dest" && sync "$work/dest" && sha256sum "$work/file"; }

if [ "$can_drop" = 1 ]; then cache="cold: page cache dropped before each command"; else cache="warm: page cache not dropped (not root, or DROP_CACHES=no)"; fi
echo "file system: $(df -PT "$work" | awk 'NR == 2 { print $2 " on " $7 }'); $(nproc) cores; $rounds rounds; $cache"

for ((i = 1; i <= rounds; i++)); do
  echo "round $i"
  if ((i % 2)); then
    timed go-put go_add
    timed cp+sha cp_sha
  else
    timed cp+sha cp_sha
    timed go-put go_add
  fi
  if [ "$with_sync" = 1 ]; then timed cp+sync+sha cp_sync_sha; fi
  # Both must agree on the hash.
  a=$(awk '{ print $1 }' "$work/go-put.out")
  b=$(awk '{ print $1 }' "$work/cp+sha.out")
  if [ "$a" != "$b" ]; then echo "hash mismatch: addfile $a, sha256sum $b" >&2; exit 1; fi
done
settle

ma=$(median "$work/go-put.times")
mb=$(median "$work/cp+sha.times")
echo
echo "size:                              $size_mib MiB ($cache)"
echo "(a) addfile (blobstore.Put):       median $ma s   [$(paste -sd' ' "$work/go-put.times")]"
echo "(b) cp FILE DEST && sha256sum:     median $mb s   [$(paste -sd' ' "$work/cp+sha.times")]"
if [ "$with_sync" = 1 ]; then
  echo "    cp && sync DEST && sha256sum:  median $(median "$work/cp+sync+sha.times") s   [$(paste -sd' ' "$work/cp+sync+sha.times")]"
fi
awk -v a="$ma" -v b="$mb" 'BEGIN { r = a / b; printf "ratio (a)/(b):                     %.2f  (%s)\n", r, r <= 1 ? "within budget" : "OVER budget" }'
