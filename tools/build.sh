#!/usr/bin/env bash
# Configures (once) and builds into ./build. Usage: tools/build.sh [ninja targets...]
# ITSM_CMAKE_ARGS adds options to the first configuration (the image build turns tests off).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  # shellcheck disable=SC2086 # several options in one variable
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${ITSM_CMAKE_ARGS:-}
fi
# Two cores here: more jobs only thrash. Override with ITSM_BUILD_JOBS.
cmake --build build -j "${ITSM_BUILD_JOBS:-2}" ${1:+--target "$@"}
