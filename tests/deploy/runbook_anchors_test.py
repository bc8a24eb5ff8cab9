#!/usr/bin/env python3
"""Every alert in deploy/prometheus/*.yml has a runbook_url annotation
`docs/runbooks.md#<anchor>`, and docs/runbooks.md has a heading with that anchor (GitHub's
slug: lower case, spaces to dashes, punctuation dropped); every section of the runbooks belongs
to an alert, so none is left behind when an alert goes.

usage: runbook_anchors_test.py <source dir>
"""
import glob
import os
import re
import sys

import yaml


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def main():
    src = sys.argv[1]
    with open(os.path.join(src, "docs/runbooks.md")) as f:
        anchors = {slug(m.group(1)) for m in re.finditer(r"^##+ (.+)$", f.read(), re.M)}
    failures = []
    alerts = set()
    for path in sorted(glob.glob(os.path.join(src, "deploy/prometheus/*.yml"))):
        doc = yaml.safe_load(open(path))
        for group in (doc or {}).get("groups", []):
            for rule in group.get("rules", []):
                if "alert" not in rule:
                    continue
                name = rule["alert"]
                alerts.add(name.lower())
                url = rule.get("annotations", {}).get("runbook_url", "")
                m = re.fullmatch(r"docs/runbooks\.md#([\w-]+)", url)
                if not m:
                    failures.append(f"{name}: runbook_url {url!r} is not docs/runbooks.md#<anchor>")
                elif m.group(1) not in anchors:
                    failures.append(f"{name}: docs/runbooks.md has no section #{m.group(1)}")
    if not alerts:
        failures.append("no alerts found")
    for orphan in sorted(anchors - alerts):
        failures.append(f"docs/runbooks.md#{orphan} is the runbook of no alert")
    for f in failures:
        print("FAIL", f)
    print(f"{len(alerts)} alerts, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
