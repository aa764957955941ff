#!/usr/bin/env bash
# One room on two RxChat nodes sharing one Redis (PROTOCOL.md, Rooms across nodes), on this machine.
#
#   samples/TwoNodes/run.sh [PORT_A [PORT_B [REDIS_PORT]]]      # defaults 8001 8002 6399
#
# Starts redis-server (Debian's package: apt-get install -y redis-server) with its data in a temporary folder and
# every write on disk before it is acknowledged, then two nodes of the room "lobby". Chat across them from two
# terminals: nc 127.0.0.1 8001 and nc 127.0.0.1 8002. Ctrl+C stops the nodes (their clients hear
# "Server shutting down") and Redis.
set -euo pipefail
cd "$(dirname "$0")/../.."

port_a=${1:-8001} port_b=${2:-8002} redis_port=${3:-6399}
command -v redis-server >/dev/null 2>&1 || { echo "run.sh: redis-server is not installed (apt-get install -y redis-server)" >&2; exit 1; }

data=$(mktemp -d "${TMPDIR:-/tmp}/rxchat-two-nodes.XXXXXX")
redis_pid="" node_pids=()
stop() {
  # The nodes first, so that they stop while Redis still takes their last words; then Redis.
  for pid in "${node_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${node_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$redis_pid" ]; then kill -TERM "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap stop EXIT
trap 'exit 130' INT TERM

echo "building RxChat..." >&2
dotnet build RxChat -c Release -v quiet -nologo >/dev/null

# In a session of its own, so that the terminal's Ctrl+C reaches only this script, which stops it last.
setsid redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$data" --save "" --appendonly yes --appendfsync always \
  --daemonize no >"$data/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

for port in "$port_a" "$port_b"; do
  # Standard output carries only "listening on HOST:PORT", printed once the node has joined the room.
  dotnet RxChat/bin/Release/net10.0/RxChat.dll --port "$port" --redis "127.0.0.1:$redis_port" --room lobby >"$data/node-$port.out" &
  node_pids+=($!)
done
for port in "$port_a" "$port_b"; do
  until grep -q "listening on" "$data/node-$port.out" 2>/dev/null; do
    kill -0 "${node_pids[0]}" "${node_pids[1]}" 2>/dev/null || { echo "run.sh: a node exited" >&2; exit 1; }
    sleep 0.1
  done
done

echo "two nodes of room 'lobby' on Redis 127.0.0.1:$redis_port: nc 127.0.0.1 $port_a, nc 127.0.0.1 $port_b (Ctrl+C stops)" >&2
wait "${node_pids[@]}"
