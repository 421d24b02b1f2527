#!/usr/bin/env bash
# upload.sh: how long airlock's uploader takes to send a released request's
# files to job-server, against curl posting the same files one by one, in
# the same run, to the same loopback receiver.
#
# Usage (from anywhere in the repository):
#
#   bench/upload.sh [N] [SIZE_BYTES]
#
#   N           number of files (default 1000)
#   SIZE_BYTES  bytes per file (default 1048576: 1,000 x 1 MiB, about 1 GiB)
#   ROUNDS      rounds to run (default 3); medians are reported
#   WORKERS     upload workers of the airlock uploader (default 4, as serve)
#   BENCH_DIR   folder to make the temporary working folder in (default
#               ${TMPDIR:-/tmp}); it is removed at the end
#   PROFILE     a file name: after the rounds, one more airlock upload runs
#               (untimed) writing a CPU profile there, for `go tool pprof`
#
# What it does:
#   1. builds bench/upload (Go), and writes a workspace of N files of
#      SIZE_BYTES random bytes with its manifest (`upload prepare`);
#   2. starts `upload receiver`, a minimal job-server stand-in, on a free
#      loopback port (killed on exit);
#   3. each round, in alternating order:
#      (a) airlock: untimed, `upload db` makes a fresh database and request
#          store, with one request holding every file, reviewed, approved
#          and released (which creates the release on the receiver); timed,
#          `upload upload` runs the uploader until the request is RELEASED;
#      (b) curl: untimed, one POST creates the release; timed, a plain
#          shell loop runs one curl per file, posting its bytes.
#      Each side is timed with the shell's clock (date), around the whole
#      command or loop; the receiver's counts are checked after each, so a
#      side that lost or repeated a file fails the run.
#   4. prints every time, the medians and the ratio airlock/curl (below 1:
#      airlock is faster).
#
# Both sides read warm files: the workspace files and airlock's request
# copies are written just before, and stay in the page cache.
set -euo pipefail

n=${1:-1000}
size=${2:-1048576}
rounds=${ROUNDS:-3}
workers=${WORKERS:-4}
profile=${PROFILE:-}
repo=$(cd "$(dirname "$0")/.." && pwd)

case $n in '' | *[!0-9]* | 0) echo "N must be a positive whole number" >&2; exit 2 ;; esac
case $size in '' | *[!0-9]*) echo "SIZE_BYTES must be a whole number" >&2; exit 2 ;; esac
case $rounds in '' | *[!0-9]* | 0) echo "ROUNDS must be a positive whole number" >&2; exit 2 ;; esac
case $workers in '' | *[!0-9]* | 0) echo "WORKERS must be a positive whole number" >&2; exit 2 ;; esac
if [ -n "$profile" ]; then
  case $profile in /*) ;; *) profile=$PWD/$profile ;; esac
fi

parent=${BENCH_DIR:-${TMPDIR:-/tmp}}
mkdir -p "$parent"
work=$(mktemp -d "$parent/upload.XXXXXX")
recv_pid=
cleanup() {
  if [ -n "$recv_pid" ]; then
    kill -TERM "$recv_pid" 2>/dev/null || true
    wait "$recv_pid" 2>/dev/null || true
    local line last=
    while IFS= read -r line; do last=$line; done <"$work/receiver.log"
    [ -n "$last" ] && echo "$last"
  fi
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ns() { date +%s%N; }
# secs NS: nanoseconds as seconds with three decimals.
secs() { printf '%d.%03d' $(($1 / 1000000000)) $(($1 / 1000000 % 1000)); }
# median NS...: the median of whole numbers (the lower middle one of an
# even count).
median() {
  local -a v=("$@")
  local i j t
  for ((i = 1; i < ${#v[@]}; i++)); do
    for ((j = i; j > 0 && v[j - 1] > v[j]; j--)); do
      t=${v[j]} v[j]=${v[j - 1]} v[j - 1]=$t
    done
  done
  echo "${v[$(((${#v[@]} - 1) / 2))]}"
}

echo "building bench/upload"
(cd "$repo" && go build -o "$work/upload" ./bench/upload)
bin=$work/upload

echo "writing $n files of $size bytes"
"$bin" prepare -dir "$work" -n "$n" -size "$size" >/dev/null
files=("$work"/workspaces/bench/output/*)
[ "${#files[@]}" -eq "$n" ] || { echo "expected $n files, found ${#files[@]}" >&2; exit 1; }

"$bin" receiver -addr 127.0.0.1:0 >"$work/receiver.log" 2>&1 &
recv_pid=$!
addr=
for ((i = 0; i < 200; i++)); do
  if [ -s "$work/receiver.log" ]; then
    read -r _ _ addr <"$work/receiver.log" || true
    [ -n "$addr" ] && break
  fi
  kill -0 "$recv_pid" 2>/dev/null || { cat "$work/receiver.log" >&2; exit 1; }
  sleep 0.05
done
[ -n "$addr" ] || { echo "the receiver did not start" >&2; exit 1; }
url=http://$addr/api/v2
echo "receiver on $addr"

# counts: the receiver's file and byte counts, as "FILES BYTES DUPLICATES".
counts() {
  local rel f b d rest
  read -r rel f b d rest < <(curl -s "http://$addr/stats")
  echo "${f#files=} ${b#bytes=} ${d#duplicates=}"
}
# check BEFORE WHAT: the receiver got exactly n new files of size bytes
# each, once each, since BEFORE.
check() {
  local f0 b0 d0 f1 b1 d1
  read -r f0 b0 d0 <<<"$1"
  read -r f1 b1 d1 <<<"$(counts)"
  if [ $((f1 - f0)) -ne "$n" ] || [ $((b1 - b0)) -ne $((n * size)) ] || [ "$d1" -ne "$d0" ]; then
    echo "$2: the receiver got $((f1 - f0)) files, $((b1 - b0)) bytes, $((d1 - d0)) duplicates;" \
      "expected $n files, $((n * size)) bytes, none twice" >&2
    exit 1
  fi
}

airlock_ns=()
curl_ns=()

run_airlock() {
  local round=$1 before t0 t1 out
  "$bin" db -dir "$work" -endpoint "$url" 2>"$work/setup.log" || { cat "$work/setup.log" >&2; exit 1; }
  before=$(counts)
  t0=$(now_ns)
  out=$("$bin" upload -dir "$work" -endpoint "$url" -workers "$workers")
  t1=$(now_ns)
  check "$before" "airlock round $round"
  airlock_ns+=($((t1 - t0)))
  echo "round $round  airlock  $(secs $((t1 - t0))) s   ($out)"
}

run_curl() {
  local round=$1 id=curl-$1 before t0 t1 f name
  curl -s -o /dev/null -X POST -H "Authorization: x" -H "OS-User: bench" \
    -H "Content-Type: application/json" --data-binary '{"files": []}' "$url/releases/workspace/bench"
  before=$(counts)
  t0=$(now_ns)
  for f in "${files[@]}"; do
    name=output/${f##*/}
    curl -s -o /dev/null -X POST -H "Authorization: x" -H "OS-User: bench" \
      -H "Content-Disposition: attachment; filename=\"$name\"" \
      --data-binary @"$f" "$url/releases/release/$id"
  done
  t1=$(now_ns)
  check "$before" "curl round $round"
  curl_ns+=($((t1 - t0)))
  echo "round $round  curl     $(secs $((t1 - t0))) s"
}

echo "$rounds rounds of $n files x $size bytes ($((n * size / 1048576)) MiB), airlock with $workers workers"
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then
    run_airlock "$round"
    run_curl "$round"
  else
    run_curl "$round"
    run_airlock "$round"
  fi
done

a=$(median "${airlock_ns[@]}")
c=$(median "${curl_ns[@]}")
echo "median   airlock  $(secs "$a") s"
echo "median   curl     $(secs "$c") s"
ratio=$((a * 1000 / c))
printf 'ratio    airlock/curl = %d.%03d\n' $((ratio / 1000)) $((ratio % 1000))

if [ -n "$profile" ]; then
  "$bin" db -dir "$work" -endpoint "$url" 2>"$work/setup.log" || { cat "$work/setup.log" >&2; exit 1; }
  "$bin" upload -dir "$work" -endpoint "$url" -workers "$workers" -cpuprofile "$profile"
  echo "CPU profile of one more (untimed) airlock upload: $profile"
  echo "  go tool pprof -top $profile"
fi
