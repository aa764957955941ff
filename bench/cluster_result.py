#!/usr/bin/env python3
"""Appends one cluster run of bench/compare.sh (bench/ClusterLoad's JSON line, Redis' INFO commandstats) to RESULTS.

Usage: cluster_result.py RESULTS NODES RUN SCENARIO RC LOAD_OUT COMMANDSTATS ARGS
"""
import json
import re
import sys

path, nodes, run, scenario, rc, out, stats, args = sys.argv[1:]
lines = open(out, errors="replace").read().splitlines()
try:
    result = json.loads(lines[-1])
except (IndexError, ValueError):
    result = {"ok": False, "harness_output": lines[-20:]}
calls = {m.group(1): int(m.group(2)) for m in re.finditer(r"^cmdstat_([^:]+):calls=(\d+)", open(stats, errors="replace").read(), re.M)}
for admin in ("config|resetstat", "info", "ping"):
    calls.pop(admin, None)
chat = result.get("senders", 0) * result.get("lines", 0)
result.update({"row": f"cluster{nodes}.{scenario}", "run": int(run), "server": "rxchat", "cluster_nodes": int(nodes),
               "harness_rc": int(rc), "server_status": "exit 0 after SIGTERM", "harness_args": args,
               "redis_calls": sum(calls.values()), "redis_calls_by_command": calls,
               "redis_calls_per_line": sum(calls.values()) / chat if chat else None})
with open(path, "a") as f:
    f.write(json.dumps(result) + "\n")
