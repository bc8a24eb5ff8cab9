#!/usr/bin/env python3
"""The disk's own floor for a durable commit: the latency of fdatasync after rewriting a few
pages of a file, as SQLite's WAL does at each commit with synchronous=FULL.

    python3 bench/storage/fsync_latency.py [--dir build] [--count 2000] [--kib 8]

Run it on the file system that holds the services' data (the build folder by default), on a
quiet machine: the figures are the disk's, not the suite's.
"""
import argparse
import os
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="build", help="folder on the disk to measure")
    parser.add_argument("--count", type=int, default=2000, help="commits to time")
    parser.add_argument("--kib", type=int, default=8, help="KiB rewritten before each sync")
    args = parser.parse_args()
    path = os.path.join(args.dir, f"fsync-latency-{os.getpid()}.probe")
    block = b"x" * (args.kib * 1024)
    slots = 256  # rewrite within a fixed extent, as a WAL does once it stopped growing
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        latencies = []
        for i in range(args.count):
            os.pwrite(fd, block, (i % slots) * len(block))
            start = time.perf_counter()
            os.fdatasync(fd)
            latencies.append(time.perf_counter() - start)
    finally:
        os.close(fd)
        os.unlink(path)
    latencies.sort()

    def ms(q):
        return latencies[int(q * (len(latencies) - 1))] * 1e3

    print(f"fdatasync after rewriting {args.kib} KiB, {len(latencies)} times: "
          f"p50 {ms(0.5):.3f} ms, p90 {ms(0.9):.3f} ms, p99 {ms(0.99):.3f} ms, "
          f"min {latencies[0] * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
