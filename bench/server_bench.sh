#!/usr/bin/env bash
# godwit serve vs moto_server over loopback, in one run: PutItem, GetItem,
# BatchWriteItem (25 items) and Query (Limit 10) requests/s and p50/p99
# latency from one load generator (bench/server_bench.cc, N keep-alive
# connections). Prints a Markdown table for BENCHMARKS.md. GetItem and Query
# run first, on the prepared table (PARTITIONS x 10 items); PutItem and
# BatchWriteItem then grow it.
#
#   bench/server_bench.sh [BUILD_DIR]     (default build/release)
# Environment: CONNECTIONS (4), SECONDS_PER_OP (10), PARTITIONS (200),
# MOTO_SERVER (/root/.pyenv/shims/moto_server, else moto_server on PATH;
# missing: moto is left out, saying so).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
GODWIT=$BUILD/godwit
GEN=$BUILD/bench/godwit_server_bench
CONNECTIONS=${CONNECTIONS:-4}
SECS=${SECONDS_PER_OP:-10}
PARTITIONS=${PARTITIONS:-200}
for f in "$GODWIT" "$GEN"; do
  [ -x "$f" ] || { echo "missing $f (build the release preset)" >&2; exit 1; }
done
MOTO=${MOTO_SERVER:-}
if [ -z "$MOTO" ]; then
  if [ -x /root/.pyenv/shims/moto_server ]; then MOTO=/root/.pyenv/shims/moto_server
  elif command -v moto_server >/dev/null; then MOTO=$(command -v moto_server)
  fi
fi

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
  for _ in $(seq 300); do
    if (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; return 1
}

# start_godwit NAME [serve flags]: sets PORT. (Not in a subshell: PIDS must
# keep the server's pid for cleanup.)
start_godwit() {
  local name=$1; shift
  "$GODWIT" --store "$TMP/$name" serve --listen 127.0.0.1:0 \
    --port-file "$TMP/$name.port" "$@" >"$TMP/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 300); do [ -s "$TMP/$name.port" ] && break; sleep 0.1; done
  PORT=$(cat "$TMP/$name.port")
}

stop_last() {  # stops the most recently started server
  local p=${PIDS[-1]}
  kill "$p" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
}

run_ops() {  # LABEL PORT OPS...
  local label=$1 port=$2; shift 2
  "$GEN" --endpoint "http://127.0.0.1:$port" --prepare --partitions "$PARTITIONS" >&2
  for op in "$@"; do
    "$GEN" --endpoint "http://127.0.0.1:$port" --op "$op" --label "$label" \
      --connections "$CONNECTIONS" --seconds "$SECS" --partitions "$PARTITIONS"
  done
}

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "connections: $CONNECTIONS, seconds per op: $SECS, table: $PARTITIONS partitions x 10 items of ~120 B"
echo
echo "| server | op | connections | requests | requests/s | items/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|---|---|"
start_godwit nosync --no-sync
run_ops "godwit serve --no-sync" "$PORT" get query put batch
stop_last
start_godwit sync
run_ops "godwit serve (fsync)" "$PORT" put batch
stop_last
if [ -n "$MOTO" ]; then
  MP=$(free_port)
  (cd "$TMP" && exec "$MOTO" -H 127.0.0.1 -p "$MP" >"$TMP/moto.log" 2>&1) &
  PIDS+=($!)
  wait_port "$MP"
  run_ops "moto_server" "$MP" get query put batch
else
  echo "moto_server not found: the moto rows are missing" >&2
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
