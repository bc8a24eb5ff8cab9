#!/usr/bin/env bash
# Configures (once) and builds into ./build. Usage: tools/build.sh [ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
# Two cores here: more jobs only thrash. Override with ITSM_BUILD_JOBS.
cmake --build build -j "${ITSM_BUILD_JOBS:-2}" ${1:+--target "$@"}
