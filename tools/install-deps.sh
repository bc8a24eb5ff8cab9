#!/usr/bin/env bash
# Installs everything the suite needs to build, run and test, from Debian 12's archive only.
# Idempotent and quick when everything is present (no apt-get update then).
# --build-only: only what configuring the tree and building the binaries needs (the container
# image's build stage, deploy/docker/Dockerfile): no servers, node, clang or Go.
set -euo pipefail

build_only=false
if [ "${1:-}" = "--build-only" ]; then build_only=true; fi

build_packages=(
  ca-certificates cmake ninja-build g++ pkg-config ccache
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev grpc-proto
  librdkafka-dev libhiredis-dev prometheus-cpp-dev libspdlog-dev libfmt-dev libjwt-dev libssl-dev
  golang-github-grpc-ecosystem-grpc-gateway-dev libboost1.81-dev libsqlite3-dev libpq-dev
  libjemalloc-dev libicu-dev
  # the configuration finds them even when only the binaries are built
  libgtest-dev libgmock-dev libbenchmark-dev
)

packages=(
  # build
  ca-certificates git cmake ninja-build g++ pkg-config ccache
  # the formatting check (tools/check-format.sh) uses Debian 12's clang-format 14
  clang-format
  # the gateway's fuzz target: clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # libraries
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev grpc-proto
  librdkafka-dev libhiredis-dev prometheus-cpp-dev libspdlog-dev libfmt-dev
  # identity tokens (libs/auth): JWS with libjwt, keys with OpenSSL
  libjwt-dev libssl-dev
  # people's names compared without case, width and invisible characters (auth::SamePerson)
  libicu-dev
  # google/rpc/*.proto (the error model: google.rpc.Status, BadRequest) and google/api/*.proto
  # (the REST mapping, google.api.http) ship with grpc-gateway
  golang-github-grpc-ecosystem-grpc-gateway-dev
  # the gateway's HTTP server: Boost.Beast and Asio (header-only here); Debian's default
  # libboost-dev is 1.74, the gateway is written against 1.81
  libboost1.81-dev
  libsqlite3-dev libpq-dev libgtest-dev libgmock-dev libbenchmark-dev
  # the allocator of the configuration service and the SLA timer (decision 174)
  libjemalloc-dev
  # runtime pieces: redis-server, PostgreSQL (tests, scale-out), the tz database (SLA calendars),
  # kcat to read topics by hand, prometheus/promtool to check metrics and alert rules, the
  # sqlite3 shell for the local suite's backups (docs/operations.md)
  redis-server redis-tools postgresql-15 tzdata kcat prometheus sqlite3
  # a real Alertmanager sends notifications to the gateway in alertmanager_e2e_test
  prometheus-alertmanager
  procps
  # the webhook tests verify signatures with an independent implementation, Python's hmac; the
  # runbook test reads the alert rules with PyYAML
  python3 python3-yaml
  # an independent client in another language (tests/clients/python): Debian's grpcio and
  # protobuf, cryptography to sign its own identity tokens; protoc's Python plugin is
  # protobuf-compiler-grpc's, installed for the build
  python3-grpcio python3-protobuf python3-cryptography
  # HTTP calls from the metrics and dashboards e2e test (tests/integration)
  curl
  # the Helm chart's test (tests/deploy): tools/helm-render is Go over Debian's Sprig (Helm's
  # template functions), ghodss/yaml (Helm's YAML conversion) and gojsonschema (Helm's values
  # schema validator); the Dockerfile's check reads libraries with ldd and dpkg (always there)
  golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev
  golang-github-xeipuuv-gojsonschema-dev
)
# The web console's end-to-end test (console_e2e_test) runs Debian's Chromium, driven by the
# vendored playwright-core (no browser download); DejaVu gives its screenshots a font.
packages+=(chromium fonts-dejavu-core)
# Node.js builds the web console (web/, esbuild) and runs the independent validators of the
# tests: the gateway's OpenAPI document (@apidevtools/swagger-parser), the Helm chart's objects
# (kubernetes-models). Debian's (Node 18, and its npm to update a lockfile) unless a node is
# already there.
if ! command -v node >/dev/null 2>&1; then packages+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi

# The validators' and the console's packages come from the repository (each folder's vendor/, the registry's
# tarballs checked against the lockfile), not from the network: decision 95.
install_node_packages() {
  local root
  root="$(cd "$(dirname "$0")/.." && pwd)"
  if [ ! -d "$root/services/gateway/tests/openapi/node_modules/@apidevtools/swagger-parser" ]; then
    node "$root/tools/install-vendored-npm.mjs" "$root/services/gateway/tests/openapi"
  fi
  if [ ! -d "$root/tests/deploy/k8s-validate/node_modules/kubernetes-models" ]; then
    node "$root/tools/install-vendored-npm.mjs" "$root/tests/deploy/k8s-validate"
  fi
  if [ ! -d "$root/web/node_modules/esbuild" ]; then
    node "$root/tools/install-vendored-npm.mjs" "$root/web"
  fi
}
if $build_only; then
  packages=("${build_packages[@]}")
  install_node_packages() { :; }
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  install_node_packages
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
  -o Dpkg::Lock::Timeout=900 "${missing[@]}"
install_node_packages
