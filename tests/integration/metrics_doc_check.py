#!/usr/bin/env python3
"""Checks a running suite's /metrics against docs/metrics.md's table: every row whose `served`
is `start` or `traffic` is served by every process its `process` column names (groups from the
"Process groups" list), with its type and every label the row names, plus `service` set to the
process's name on every series of every process. Also runs `promtool check metrics` on every
/metrics.

usage: metrics_doc_check.py <source dir> <endpoints.json of the running suite>
"""
import json
import re
import subprocess
import sys
import urllib.request


def read_doc(src):
    text = open(f"{src}/docs/metrics.md").read()
    groups = {}
    for m in re.finditer(r"^- `([\w-]+)`: (.+)$", text, re.M):
        groups[m.group(1)] = [p.strip() for p in m.group(2).split(",")]
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or not cells[0].startswith("`"):
            continue
        name, kind, labels, processes, served, _ = cells
        procs = []
        for p in processes.split(","):
            p = p.strip()
            procs.extend(groups.get(p, [p]))
        rows.append({
            "name": name.strip("`"),
            "type": kind,
            "labels": [l.strip().strip("`") for l in labels.split(",") if l.strip()],
            "processes": procs,
            "served": served,
        })
    return rows, groups


def parse_exposition(text):
    """{family: (type, [label dicts of its samples])}"""
    types = {}
    samples = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][\w:]*)(\{(.*)\})? ", line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        samples.setdefault(m.group(1), []).append(labels)
    families = {}
    for name, kind in types.items():
        series = []
        for suffix in ("", "_bucket", "_count", "_sum", "_total") if kind in ("histogram", "summary") else ("",):
            series.extend(samples.get(name + suffix, []))
        families[name] = (kind, series)
    return families, samples


def main():
    src, endpoints_file = sys.argv[1], sys.argv[2]
    rows, groups = read_doc(src)
    endpoints = json.load(open(endpoints_file))
    urls = {s["name"]: s["metricsUrl"] for s in endpoints["services"]}
    failures = []
    if len(rows) < 40:
        failures.append(f"docs/metrics.md: only {len(rows)} rows read: did the table's format change?")
    for name in groups.get("all", []):
        if name not in urls:
            failures.append(f"docs/metrics.md names process {name}, which the suite does not run")
    scraped = {}
    for name, url in sorted(urls.items()):
        body = urllib.request.urlopen(url, timeout=30).read().decode()
        scraped[name] = parse_exposition(body)
        check = subprocess.run(["promtool", "check", "metrics"], input=body, text=True,
                               capture_output=True)
        if check.returncode != 0:
            failures.append(f"{name}: promtool check metrics: {check.stdout}{check.stderr}")
        # Every series says which process it comes from.
        for sample, label_sets in scraped[name][1].items():
            # prometheus-cpp's exposer serves its own registry beside ours (docs/metrics.md).
            if sample.startswith("exposer_"):
                continue
            for labels in label_sets:
                if labels.get("service") != name:
                    failures.append(f"{name}: {sample}{labels} lacks service=\"{name}\"")
                    break
    checked = skipped = 0
    for row in rows:
        if row["served"] not in ("start", "traffic"):
            skipped += 1
            continue
        for proc in row["processes"]:
            if proc not in scraped:
                failures.append(f"{row['name']}: docs name process {proc}, which is not running")
                continue
            families = scraped[proc][0]
            if row["name"] not in families:
                failures.append(f"{proc}: does not serve {row['name']}")
                continue
            kind, series = families[row["name"]]
            if kind != row["type"]:
                failures.append(f"{proc}: {row['name']} is a {kind}, docs say {row['type']}")
            if not series:
                failures.append(f"{proc}: {row['name']} has no series")
                continue
            want = set(row["labels"]) | {"service"}
            have = set().union(*(set(s) for s in series)) - {"le"}
            if want - have:
                failures.append(f"{proc}: {row['name']} lacks labels {sorted(want - have)}")
            if have - want:
                failures.append(f"{proc}: {row['name']} has labels the docs do not name: {sorted(have - want)}")
            checked += 1
    # Every itsm_ family a process serves has a row.
    documented = {r["name"] for r in rows}
    for proc, (families, _) in sorted(scraped.items()):
        for family in sorted(families):
            if family.startswith("itsm_") and family not in documented:
                failures.append(f"{proc}: serves {family}, which docs/metrics.md does not list")
    for f in failures:
        print("FAIL", f)
    print(f"{len(rows)} documented metrics, {checked} (metric, process) pairs checked, {skipped} rows "
          f"not checked (served only on a condition), {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
