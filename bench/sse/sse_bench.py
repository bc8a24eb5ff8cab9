#!/usr/bin/env python3
"""GET /v1/events under load: N streams reading while incidents are created through REST.

Starts itsm-launch (incident + gateway, the embedded broker, redis) in a scratch folder, opens N
Server-Sent Event streams with Python's http.client, measures the gateway's threads and RSS
before and after (the cost of a stream: one Kafka consumer each, decision 121), creates M
incidents with W concurrent writers, and reports how long until every stream had every event
(events delivered per second = N * M / time) and the latency from a create's answer to its
event on a stream (p50/p99 over all streams).

usage: bench/sse/sse_bench.py [--streams 1,10,50] [--incidents 500] [--writers 8]
       (run from the repository root after tools/build.sh itsm_launch itsm_gateway itsm_incident
        itsm_kafka_tool)
"""
import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time


def status_of(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0]) / 1024.0


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Reader(threading.Thread):
    def __init__(self, host, port, auth):
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection(host, port, timeout=120)
        self.conn.request("GET", "/v1/events?types=itsm.incident.v1.IncidentCreated",
                          headers={"Authorization": auth})
        self.response = self.conn.getresponse()
        assert self.response.status == 200, self.response.read()
        self.seen = {}  # subject -> receive time
        self.ready = threading.Event()

    def run(self):
        self.ready.set()
        while True:
            try:
                line = self.response.readline()
            except Exception:
                return
            if not line:
                return
            if line.startswith(b"data: "):
                event = json.loads(line[6:])
                if "subject" not in event:  # event: close
                    print("stream closed:", event, flush=True)
                    return
                self.seen[event["subject"]] = time.monotonic()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", default="1,10,50")
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--writers", type=int, default=8)
    args = parser.parse_args()
    root = os.getcwd()
    scratch = tempfile.mkdtemp(prefix="sse-bench-")
    env = {"ITSM_HTTP_PORT": "0", "ITSM_RATE_LIMIT_WRITE_BURST": "1000000",
           "ITSM_RATE_LIMIT_WRITES_PER_SECOND": "1000000", "ITSM_EVENTS_MAX_STREAMS": "1000",
           "ITSM_EVENTS_MAX_STREAMS_PER_CALLER": "1000",
           "ITSM_RATE_LIMIT_READS_PER_SECOND": "1000000", "ITSM_RATE_LIMIT_READ_BURST": "1000000"}
    suite = {"runDir": f"{scratch}/run", "reservePorts": False, "redis": {"port": free_port()}, "kafka": {"partitions": 4},
             "services": [{"name": n, "grpcPort": 0, "metricsPort": 0, "env": env}
                          for n in ("incident", "gateway")]}
    with open(f"{scratch}/suite.json", "w") as f:
        json.dump(suite, f)
    log = open(f"{scratch}/launch.log", "w+")
    launcher = subprocess.Popen([f"{root}/build/bin/itsm-launch", "--config", f"{scratch}/suite.json"],
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        endpoints_file = f"{scratch}/run/endpoints.json"
        for _ in range(600):
            if os.path.exists(endpoints_file):
                break
            time.sleep(0.1)
        endpoints = json.load(open(endpoints_file))
        gateway = [s for s in endpoints["services"] if s["name"] == "gateway"][0]
        host, port = re.match(r"http://(.*):(\d+)", gateway["httpUrl"]).groups()
        port = int(port)
        pid = int(gateway["pid"])
        key = None
        for _ in range(300):  # printed once the gateway answers
            log.seek(0)
            found = re.search(r"(itsm_[A-Za-z0-9_\-]+)", log.read())
            if found:
                key = found.group(1)
                break
            time.sleep(0.1)
        auth = f"Bearer {key}"
        print(f"gateway pid {pid}, load {os.getloadavg()[0]:.1f}, cores {os.cpu_count()}")
        print("| streams | gateway threads (+ per stream) | RSS MB (+ per stream) | events | "
              "delivered events/s | latency p50 / p99 ms |")
        print("|---|---|---|---|---|---|")
        for n in [int(x) for x in args.streams.split(",")]:
            time.sleep(1)
            threads0, rss0 = status_of(pid)
            readers = [Reader(host, port, auth) for _ in range(n)]
            for r in readers:
                r.start()
                r.ready.wait()
            time.sleep(1)
            threads1, rss1 = status_of(pid)
            created = {}
            lock = threading.Lock()
            per_writer = args.incidents // args.writers

            def write(w):
                c = http.client.HTTPConnection(host, port, timeout=60)
                for i in range(per_writer):
                    body = json.dumps({"title": f"bench {n} {w} {i}", "impact": 3, "urgency": 3})
                    c.request("POST", "/v1/incidents", body=body,
                              headers={"Authorization": auth, "Content-Type": "application/json"})
                    r = c.getresponse()
                    data = r.read()
                    assert r.status == 200, data
                    with lock:
                        created[json.loads(data)["incident"]["id"]] = time.monotonic()

            start = time.monotonic()
            writers = [threading.Thread(target=write, args=(w,)) for w in range(args.writers)]
            for w in writers:
                w.start()
            for w in writers:
                w.join()
            total = len(created)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(len(r.seen) < total for r in readers):
                time.sleep(0.01)
            end = max(max(r.seen.values()) for r in readers)
            latencies = sorted((r.seen[s] - created[s]) * 1000 for r in readers for s in created
                               if s in r.seen)
            delivered = sum(len(r.seen) for r in readers)
            p50 = latencies[len(latencies) // 2]
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            print(f"| {n} | {threads0} -> {threads1} (+{(threads1 - threads0) / n:.1f}) | "
                  f"{rss0:.0f} -> {rss1:.0f} (+{(rss1 - rss0) / n:.2f}) | {delivered} of {n * total} | "
                  f"{delivered / (end - start):,.0f} | {p50:.1f} / {p99:.1f} |", flush=True)
            for r in readers:
                r.conn.close()
            time.sleep(2)
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(timeout=60)


if __name__ == "__main__":
    main()
