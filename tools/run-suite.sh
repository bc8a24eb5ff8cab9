#!/usr/bin/env bash
# Sets up and runs the whole suite on this machine with the embedded defaults (SQLite, embedded
# Kafka, redis-server), in the foreground; Ctrl-C stops it. Extra arguments go to itsm-launch.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh itsm_suite
exec build/bin/itsm-launch --config deploy/local/suite.json "$@"
