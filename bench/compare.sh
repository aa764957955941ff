#!/usr/bin/env bash
# RxChat against the book's Go chat server (gopl.io ch8, ../shared/bench/gochat), measured by the neutral load
# harness ../shared/bench/chatload, side by side in one run; and RxChat's idle connections plain and over TLS
# (bench/IdleLoad; chatload speaks no TLS). Writes docs/benchmarks.md, docs/fanout.csv and docs/fanout.png.
#
#   bench/compare.sh                 # the full comparison, medians of 3 runs (about 30 minutes on 2 cores)
#   bench/compare.sh --runs 5        # medians of 5
#   bench/compare.sh --quick         # a smoke test: 1 run, small loads; writes to a temporary folder instead of docs/
#   bench/compare.sh --only-tls      # only the idle connections over TLS: replaces that section of docs/benchmarks.md
#
# Options: --runs N (default 3), --sweep-runs N (runs per point of the client-count sweep; default: --runs),
# --no-sweep, --no-cluster (skip the table of a room on 1, 2 and 3 nodes on one Redis), --no-tls (skip the idle
# connections over TLS), --only-tls, --quick, --out DIR (where the report goes; default docs), --shared DIR (default
# ../shared), --keep (keep the temporary folder with every run's output and server log).
#
# Every run starts a fresh server; the two servers alternate (the order flips every run); the server runs on
# core 1 and the harness on core 0 (taskset). Needs: the .NET SDK, Go >= 1.19 (built offline), python3, taskset
# (--only-tls: the .NET SDK and python3).
# Binaries go to a temporary folder, never into the repository. Loopback only.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD

runs=3
sweep_runs=
sweep=1
cluster=1
tls=1
only_tls=0
quick=0
keep=0
out_dir=docs
shared=$root/../shared
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --sweep-runs) sweep_runs=$2; shift 2 ;;
    --no-sweep) sweep=0; shift ;;
    --no-cluster) cluster=0; shift ;;
    --no-tls) tls=0; shift ;;
    --only-tls) only_tls=1; shift ;;
    --quick) quick=1; runs=1; shift ;;
    --out) out_dir=$2; shift 2 ;;
    --shared) shared=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
sweep_runs=${sweep_runs:-$runs}
case "$runs$sweep_runs" in *[!0-9]*|'') echo "compare.sh: --runs and --sweep-runs take a number" >&2; exit 2 ;; esac
[ "$runs" -ge 1 ] || { echo "compare.sh: --runs must be at least 1" >&2; exit 2; }
if [ "$only_tls" -eq 1 ]; then
  [ "$tls" -eq 1 ] || { echo "compare.sh: --only-tls and --no-tls contradict each other" >&2; exit 2; }
  sweep=0; cluster=0
fi

# Go builds the harness and the seed's server; a fresh machine of this kind lacks it, and Debian has it.
if [ "$only_tls" -eq 0 ] && ! command -v go >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  echo "compare.sh: installing Go (apt-get install golang-go)" >&2
  { apt-get update -qq && apt-get install -y -qq golang-go; } >/dev/null 2>&1 || true
fi
tools=(dotnet python3)
[ "$only_tls" -eq 1 ] || tools+=(go taskset ss)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "compare.sh: $tool is not on PATH" >&2; exit 1; }
done
if [ "$only_tls" -eq 0 ]; then
  [ -d "$shared/bench/chatload" ] && [ -d "$shared/bench/gochat" ] ||
    { echo "compare.sh: no chatload/gochat under $shared/bench (pass --shared DIR)" >&2; exit 1; }
  shared=$(cd "$shared" && pwd)
fi
if [ "$only_tls" -eq 1 ] && [ ! -f "$out_dir/benchmarks.md" ]; then
  echo "compare.sh: --only-tls replaces a section of $out_dir/benchmarks.md, which does not exist" >&2; exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/rxchat-bench.XXXXXX")
mkdir -p "$work/bin" "$work/logs"
if [ "$quick" -eq 1 ] && [ "$out_dir" = docs ]; then
  out_dir=$work/report
  mkdir -p "$out_dir"
  # --only-tls replaces one section of a report: a copy of the real one.
  if [ "$only_tls" -eq 1 ]; then cp docs/benchmarks.md "$out_dir/"; fi
fi
mkdir -p "$out_dir"
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  if [ "$keep" -eq 1 ]; then echo "compare.sh: run data kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each side holds one descriptor per client (5,000 in the TLS idle run) plus its own.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# Pinning: server on core 1, harness on core 0, when there are two cores.
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
  pin_server=(taskset -c 1); pin_harness=(taskset -c 0); pinning="server on core 1, harness on core 0 (taskset)"
  server_cpu=(--server-cpu 1)
else
  pin_server=(); pin_harness=(); pinning="none (one core)"; server_cpu=()
fi

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Lines per socket write: the server's write system calls, counted on a separate fan-out run (the timed runs are
# not slowed), by perf's syscall tracepoints where this kernel has them, else by strace; none: not measured.
write_calls=(sendto sendmsg write writev)
if perf stat -e syscalls:sys_enter_sendto true >/dev/null 2>&1; then
  counter=perf
elif command -v strace >/dev/null 2>&1; then
  counter=strace
else
  counter=none
fi
counter_pid=

# start_counter PID OUT / stop_counter: count PID's write system calls into OUT.
start_counter() {
  case "$counter" in
    perf) perf stat -x, $(printf -- '-e syscalls:sys_enter_%s ' "${write_calls[@]}") -p "$1" -o "$2" >/dev/null 2>&1 & counter_pid=$! ;;
    strace) strace -c -f -e trace="$(IFS=,; echo "${write_calls[*]}")" -p "$1" -o "$2" >/dev/null 2>&1 & counter_pid=$! ;;
    none) counter_pid= ;;
  esac
}
stop_counter() {
  if [ -n "$counter_pid" ]; then kill -INT "$counter_pid" 2>/dev/null || true; wait "$counter_pid" 2>/dev/null || true; fi
  counter_pid=
}

log "building RxChat (Release), chatload and gochat into $work"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish "$root/RxChat/RxChat.csproj" -c Release -o "$work/rxchat" -v quiet -nologo >"$work/logs/build-rxchat.log" 2>&1 ||
  { cat "$work/logs/build-rxchat.log" >&2; exit 1; }
if [ "$only_tls" -eq 0 ]; then
  (cd "$shared/bench/chatload" && GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-buildvcs=false go build -o "$work/bin/chatload" .)
  (cd "$shared/bench/gochat" && GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -o "$work/bin/gochat" .)
  dotnet build "$root/bench/Plot/Plot.csproj" -c Release -o "$work/plot" -v quiet -nologo >"$work/logs/build-plot.log" 2>&1 ||
    { cat "$work/logs/build-plot.log" >&2; exit 1; }
fi
if [ "$tls" -eq 1 ]; then
  dotnet publish "$root/bench/IdleLoad/IdleLoad.csproj" -c Release -o "$work/idleload" -v quiet -nologo >"$work/logs/build-idleload.log" 2>&1 ||
    { cat "$work/logs/build-idleload.log" >&2; exit 1; }
fi
if [ "$cluster" -eq 1 ] && ! command -v redis-server >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    log "installing redis-server (apt-get install redis-server) for the cluster table"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >/dev/null 2>&1 || true
    { service redis-server stop || true; } >/dev/null 2>&1
  fi
  command -v redis-server >/dev/null 2>&1 || { log "no redis-server: the cluster table is skipped"; cluster=0; }
fi
if [ "$cluster" -eq 1 ]; then
  dotnet publish "$root/bench/ClusterLoad/ClusterLoad.csproj" -c Release -o "$work/clusterload" -v quiet -nologo >"$work/logs/build-clusterload.log" 2>&1 ||
    { cat "$work/logs/build-clusterload.log" >&2; exit 1; }
fi

rx_options=(--rate-limit 0 --idle-timeout 0 --max-clients 0)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_server NAME TAG [RXCHAT OPTIONS...]: starts a fresh server, sets server_pid and server_port.
start_server() {
  local name=$1 tag=$2; shift 2
  local out="$work/logs/$tag.server.out" err="$work/logs/$tag.server.err" i
  if [ "$name" = rxchat ]; then
    "${pin_server[@]}" dotnet "$work/rxchat/RxChat.dll" --port 0 "${rx_options[@]}" "$@" >"$out" 2>"$err" &
    server_pid=$!
    for i in $(seq 200); do
      server_port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$out")
      [ -n "$server_port" ] && return 0
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
  else
    server_port=$(free_port)
    "${pin_server[@]}" "$work/bin/gochat" -addr "127.0.0.1:$server_port" >"$out" 2>"$err" &
    server_pid=$!
    for i in $(seq 200); do
      # Watch for the listening socket without connecting: a probe would be a client.
      [ -n "$(ss -Hltn "sport = :$server_port")" ] && return 0
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  echo "compare.sh: $name did not start listening (see $err):" >&2
  cat "$err" >&2
  return 1
}

# stop_server: SIGTERM, up to 10 s to exit, then SIGKILL; sets server_status.
stop_server() {
  local i rc=0 state=gone
  if kill -0 "$server_pid" 2>/dev/null; then
    state=stopped
    kill -TERM "$server_pid" 2>/dev/null || true
    for i in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$server_pid" 2>/dev/null; then
      kill -KILL "$server_pid" 2>/dev/null || true
      state=killed
    fi
  fi
  wait "$server_pid" 2>/dev/null || rc=$?
  case "$state" in
    stopped) server_status="exit $rc after SIGTERM" ;;
    killed) server_status="did not exit within 10 s of SIGTERM; killed" ;;
    gone) server_status="gone before the stop (exit $rc)" ;;
  esac
  server_pid=
}

load_before=$(cut -d ' ' -f 1 /proc/loadavg)
results=$work/results.jsonl
: >"$results"

# measure ROW RUN SERVER CLIENTS EXTRA_RXCHAT_OPTIONS -- HARNESS ARGS...: one run against one fresh server.
measure() {
  local row=$1 run=$2 name=$3 clients=$4; shift 4
  local extra=()
  while [ "$1" != -- ]; do extra+=("$1"); shift; done
  shift
  local tag="$row.$name.$run" proto=rxchat
  [ "$name" = gochat ] && proto=gopl
  start_server "$name" "$tag" "${extra[@]}" || {
    python3 - "$results" "$row" "$run" "$name" "$clients" <<'EOF'
import json, sys
path, row, run, name, clients = sys.argv[1:]
with open(path, "a") as f:
    f.write(json.dumps({"row": row, "run": int(run), "server": name, "clients": int(clients), "harness_rc": None,
                        "server_status": "failed to start", "ok": False}) + "\n")
EOF
    return 0
  }
  local rc=0 counts=$work/logs/$tag.writes
  : >"$counts"
  case "$row" in writes*) start_counter "$server_pid" "$counts" ;; esac
  timeout 600 "${pin_harness[@]}" "$work/bin/chatload" -addr "127.0.0.1:$server_port" -proto "$proto" \
    -pid "$server_pid" -label "$name" "$@" >"$work/logs/$tag.harness.out" 2>&1 || rc=$?
  stop_counter
  local alive=true
  kill -0 "$server_pid" 2>/dev/null || alive=false
  stop_server
  python3 - "$results" "$row" "$run" "$name" "$clients" "$rc" "$alive" "$server_status" \
    "$work/logs/$tag.harness.out" "$work/logs/$tag.server.err" "$*" "$counts" "$counter" <<'EOF'
import json, re, sys
path, row, run, name, clients, rc, alive, status, harness_out, server_err, args, counts, counter = sys.argv[1:]
lines = open(harness_out, errors="replace").read().splitlines()
try:
    result = json.loads(lines[-1])
except (IndexError, ValueError):
    result = {"ok": False, "harness_output": lines[-20:]}
result.pop("rss_series", None)
err = open(server_err, errors="replace").read().splitlines()
result.update({"row": row, "run": int(run), "server": name, "clients": int(clients), "harness_rc": int(rc),
               "alive_at_end": alive == "true", "server_status": status, "server_stderr": err[-20:],
               "server_stderr_lines": len(err), "harness_args": args})
if row.startswith("writes"):
    text = open(counts, errors="replace").read()
    if counter == "perf":
        # perf stat -x, : "COUNT,UNIT,EVENT,..." per event
        calls = [int(l.split(",")[0]) for l in text.splitlines() if "sys_enter_" in l and l.split(",")[0].isdigit()]
    else:
        # strace -c: "% time seconds usecs/call calls errors syscall" rows; the total row has no syscall name
        calls = [int(m.group(1)) for m in re.finditer(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(?:sendto|sendmsg|write|writev)\s*$", text, re.M)]
    if calls:
        result["server_writes"] = sum(calls)
        result["write_counter"] = counter
        if result.get("delivered"):
            result["lines_per_write"] = result["delivered"] / max(1, sum(calls))
with open(path, "a") as f:
    f.write(json.dumps(result) + "\n")
EOF
  log "$(tail -n 1 "$results" | python3 -c 'import json,sys; r=json.load(sys.stdin); k=["throughput","lost","p99_us","bytes_per_conn","threads_after","connects_per_s","errors","server_responsive"]; print(r["row"], r["server"], "run", r["run"], " ".join(f"{x}={r[x]}" for x in k if x in r), "|", r["server_status"])')"
}

# both ROW RUN CLIENTS [RXCHAT OPTIONS...] -- HARNESS ARGS...: both servers, order flipped on even runs.
both() {
  local row=$1 run=$2 clients=$3; shift 3
  if [ $((run % 2)) -eq 1 ]; then
    measure "$row" "$run" rxchat "$clients" "$@"; measure "$row" "$run" gochat "$clients" "$@"
  else
    measure "$row" "$run" gochat "$clients" "$@"; measure "$row" "$run" rxchat "$clients" "$@"
  fi
}

# The scenarios of the speed issues (8 and 11). --quick shrinks them for a smoke test of this script.
m_fanout=5000 m_paced=500 m_low=200 c_idle=2000 m_slow=2000 m_flood=5000 churn_for=10s sweep_deliveries=500000
if [ "$quick" -eq 1 ]; then
  m_fanout=500 m_paced=100 m_low=30 c_idle=300 m_slow=300 m_flood=500 churn_for=3s sweep_deliveries=50000
fi
sweep_clients=(10 30 100 300 1000)
tls_clients=1000,5000
if [ "$quick" -eq 1 ]; then tls_clients=300; fi

[ "$only_tls" -eq 1 ] || for run in $(seq "$runs"); do
  log "run $run of $runs"
  both fanout "$run" 100 --outbox-capacity 0 -- -scenario fanout -c 100 -s 10 -m "$m_fanout" -timeout 300s
  both latency "$run" 100 -- -scenario fanout -c 100 -s 10 -m "$m_paced" -rate 100
  both lowload "$run" 10 -- -scenario fanout -c 10 -s 1 -m "$m_low" -rate 10
  both idle "$run" "$c_idle" -- -scenario idle -c "$c_idle"
  both slow "$run" 50 -- -scenario slow -c 50 -s 5 -m "$m_slow" -k 2 -size 1000 -rate 500
  both churn "$run" 50 -- -scenario churn -c 50 -m 3 -duration "$churn_for"
  both flood "$run" 4 -- -scenario slow -c 4 -s 4 -m "$m_flood" -k 1 -size 1000
done

# Lines per socket write, on separate unpaced fan-out runs with the write system calls counted (not timed).
if [ "$only_tls" -eq 0 ] && [ "$counter" != none ]; then
  both writes 1 100 --outbox-capacity 0 -- -scenario fanout -c 100 -s 10 -m "$m_fanout" -timeout 300s
fi

if [ "$sweep" -eq 1 ]; then
  for run in $(seq "$sweep_runs"); do
    for c in "${sweep_clients[@]}"; do
      m=$((sweep_deliveries / (10 * c)))
      both "sweep$c" "$run" "$c" --outbox-capacity 0 -- -scenario fanout -c "$c" -s 10 -m "$m" -timeout 300s
    done
  done
fi

# A room on 1, 2 and 3 nodes on one Redis (with every write on disk before it is acknowledged): Redis and every
# node on the server's core, the load (bench/ClusterLoad: clients spread over the nodes) on the harness's. Redis
# commands per chat line come from INFO commandstats over each run.
cluster_run() { # NODES RUN SCENARIO ARGS...
  local nodes=$1 run=$2 scenario=$3; shift 3
  local tag="cluster$nodes.$scenario.$run" port dir pids=() endpoints=() i p
  port=$(free_port); dir="$work/redis.$tag"; mkdir -p "$dir"
  "${pin_server[@]}" redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly yes \
    --appendfsync always --daemonize no >"$work/logs/$tag.redis.log" 2>&1 &
  local redis_pid=$!
  for i in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  for i in $(seq "$nodes"); do
    "${pin_server[@]}" dotnet "$work/rxchat/RxChat.dll" --port 0 "${rx_options[@]}" --outbox-capacity 0 \
      --redis "127.0.0.1:$port" --room bench >"$work/logs/$tag.node$i.out" 2>"$work/logs/$tag.node$i.err" &
    pids+=($!)
  done
  for i in $(seq "$nodes"); do
    p=
    for _ in $(seq 300); do
      p=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$work/logs/$tag.node$i.out")
      [ -n "$p" ] && grep -q "caught up at entry" "$work/logs/$tag.node$i.err" && break
      sleep 0.1
    done
    endpoints+=("127.0.0.1:$p")
  done
  redis-cli -p "$port" config resetstat >/dev/null
  local rc=0
  timeout 600 "${pin_harness[@]}" dotnet "$work/clusterload/ClusterLoad.dll" --nodes "$(IFS=,; echo "${endpoints[*]}")" "$@" \
    >"$work/logs/$tag.load.out" 2>&1 || rc=$?
  redis-cli -p "$port" info commandstats >"$work/logs/$tag.commandstats" 2>&1 || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  kill -KILL "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  python3 "$root/bench/cluster_result.py" "$results" "$nodes" "$run" "$scenario" "$rc" "$work/logs/$tag.load.out" \
    "$work/logs/$tag.commandstats" "$*"
  log "$(tail -n 1 "$results" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["row"], "run", r["run"], "throughput", r.get("throughput"), "cross_p99_us", r.get("cross_p99_us"), "lost", r.get("lost"), "redis/line", round(r.get("redis_calls_per_line") or 0, 2))')"
}

if [ "$cluster" -eq 1 ]; then
  c_lines=2000 c_paced=300
  if [ "$quick" -eq 1 ]; then c_lines=200 c_paced=50; fi
  for run in $(seq "$runs"); do
    for nodes in 1 2 3; do
      cluster_run "$nodes" "$run" fanout --clients 99 --senders 9 --lines "$c_lines"
      cluster_run "$nodes" "$run" paced --clients 99 --senders 9 --lines "$c_paced" --rate 50
    done
  done
fi

# Idle connections plain and over TLS, RxChat alone: bench/IdleLoad starts a fresh server for each run, client
# count and door (on the server's core), with a self-signed certificate of its own, and measures from the harness's.
if [ "$tls" -eq 1 ]; then
  log "idle connections, plain and over TLS: $tls_clients clients, $runs runs"
  tls_args=(--clients "$tls_clients" --runs "$runs" "${server_cpu[@]}")
  rc=0
  timeout 7200 "${pin_harness[@]}" dotnet "$work/idleload/IdleLoad.dll" --server "$work/rxchat/RxChat.dll" "${tls_args[@]}" \
    >"$work/logs/tlsidle.out" 2>"$work/logs/tlsidle.err" || rc=$?
  python3 - "$results" "$rc" "$work/logs/tlsidle.out" "$work/logs/tlsidle.err" "${tls_args[*]}" <<'EOF'
import json, sys
path, rc, out, err, args = sys.argv[1:]
rows = []
for line in open(out, errors="replace"):
    try:
        rows.append(json.loads(line))
    except ValueError:
        pass
if not rows:
    rows = [{"row": "tlsidle", "server": "rxchat", "door": "?", "clients": 0, "run": 0, "ok": False,
             "harness_output": open(err, errors="replace").read().splitlines()[-20:]}]
with open(path, "a") as f:
    for r in rows:
        r.update({"harness_rc": int(rc), "harness_args": args})
        f.write(json.dumps(r) + "\n")
EOF
  grep -v '^$' "$work/logs/tlsidle.err" | while IFS= read -r line; do log "$line"; done
fi

log "writing $out_dir/benchmarks.md"
machine=$work/machine.json
python3 - "$machine" <<EOF
import json, sys
info = {
    "nproc": "$(nproc)",
    "load_before": "$load_before",
    "load_after": "$(cut -d ' ' -f 1 /proc/loadavg)",
    "cpu": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)",
    "memory": "$(free -h 2>/dev/null | awk '/^Mem:/ { print $2 }')",
    "kernel": "$(uname -r)",
    "date": "$(date -u '+%Y-%m-%d %H:%M UTC')",
    "commit": "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)",
    "dirty": "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | head -c 1)" != "",
    "dotnet": "$(dotnet --version)",
    "go": "$(command -v go >/dev/null 2>&1 && go version | awk '{ print $3 }' || echo 'no Go')",
    "runs": $runs,
    "sweep_runs": $([ "$sweep" -eq 1 ] && echo "$sweep_runs" || echo 0),
    "quick": $([ "$quick" -eq 1 ] && echo True || echo False),
    "pinning": "$pinning",
    "rxchat_options": "${rx_options[*]}",
    "write_counter": "$counter",
}
json.dump(info, open(sys.argv[1], "w"))
EOF
if [ "$only_tls" -eq 1 ]; then
  python3 "$root/bench/report.py" --section tls "$results" "$machine" "$out_dir"
else
  python3 "$root/bench/report.py" "$results" "$machine" "$out_dir"
fi
if [ "$sweep" -eq 1 ]; then
  dotnet "$work/plot/Plot.dll" "$out_dir/fanout.csv" "$out_dir/fanout.png"
fi
log "done: $out_dir/benchmarks.md"
