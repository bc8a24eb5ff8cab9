#!/usr/bin/env bash
# Sets up, builds and runs every test: unit tests and the integration tests (real processes,
# redis-server, the embedded Kafka broker, SQLite and a throwaway PostgreSQL cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
ctest --test-dir build --output-on-failure -j "${ITSM_TEST_JOBS:-2}" "$@"
