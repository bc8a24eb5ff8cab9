#!/usr/bin/env python3
"""The CPU of a running service split by thread, per unit of work, over a window.

Reads /proc/<pid>/task/*/stat (user + system time) and .../status (context switches) at the
start and the end of the window, and divides by the units the service committed in it, taken
from its own metrics (the group committer's `itsm_storage_group_commit_units` histogram, which
also gives the units a commit), so that "CPU a create, thread by thread" needs no profiler.
Threads are grouped by name (the services name theirs: db-writer, db-complete, outbox-relay,
calls, ...).

  python3 bench/load/thread_cpu.py --pid $(pgrep -f bin/itsm-incident) --seconds 5

Run it while a closed-loop step of itsm-bench drives the service; docs/benchmarks.md quotes it.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import time
import urllib.request

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
UNITS_METRIC = "itsm_storage_group_commit_units_sum"
COMMITS_METRIC = "itsm_storage_group_commit_units_count"


def thread_times(pid):
    """{thread name: [cpu seconds, context switches]} summed over the process's threads."""
    totals = collections.defaultdict(lambda: [0.0, 0])
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = f.read()
        except FileNotFoundError:
            continue  # the thread ended between the listing and the read
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
        switches = sum(int(m) for m in re.findall(r"ctxt_switches:\s+(\d+)", status))
        totals[name][0] += cpu
        totals[name][1] += switches
    return totals


def metrics_port(pid):
    """The first port the process listens on that answers /metrics with the committer's units."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if f"pid={pid}," not in line:
            continue
        port = line.split()[3].rsplit(":", 1)[1]
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1).read()
        except Exception:
            continue
        if UNITS_METRIC.encode() in body:
            return port
    return None


def units(port):
    """(units committed, commits) so far, from the committer's histogram."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    def total(name):
        return sum(float(line.split()[-1]) for line in body.splitlines() if line.startswith(name))
    return total(UNITS_METRIC), total(COMMITS_METRIC)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    port = metrics_port(args.pid)
    if port is None:
        sys.exit(f"process {args.pid} serves no {UNITS_METRIC} on any port it listens on")
    before, (units_before, commits_before) = thread_times(args.pid), units(port)
    start = time.monotonic()
    time.sleep(args.seconds)
    after, (units_after, commits_after) = thread_times(args.pid), units(port)
    elapsed = time.monotonic() - start
    done = units_after - units_before
    if done <= 0:
        sys.exit("no unit was committed in the window")
    commits = commits_after - commits_before
    print(f"{done:.0f} units in {elapsed:.1f} s ({done / elapsed:,.0f} /s), "
          f"{done / commits:.1f} units a commit")
    print(f"{'thread':<20} {'CPU a unit':>12} {'switches a unit':>16}")
    rows = []
    for name, (cpu, switches) in after.items():
        cpu_before, switches_before = before.get(name, (0.0, 0))
        rows.append((name, (cpu - cpu_before) / done * 1e6, (switches - switches_before) / done))
    for name, micros, switches in sorted(rows, key=lambda r: -r[1]):
        if micros >= 0.05:
            print(f"{name:<20} {micros:>10.1f} µs {switches:>16.2f}")
    print(f"{'all':<20} {sum(r[1] for r in rows):>10.1f} µs {sum(r[2] for r in rows):>16.2f}")


if __name__ == "__main__":
    main()
