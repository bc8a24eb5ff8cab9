# Every dependency, found once. The discovery modes below are the ones that work on Debian 12
# (see ../shared/TOOLCHAIN.md): Protobuf only in MODULE mode, librdkafka and hiredis by pkg-config.
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(PkgConfig REQUIRED)
# Both modules: with rdkafka++ alone the C API (and so the mock cluster) does not link.
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka++ rdkafka)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
# The allocator of the services whose answers and decisions are allocation-heavy (decision 174).
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
# Signed identity tokens (libs/auth): libjwt 1.10 for JWS, OpenSSL 3 for keys.
pkg_check_modules(LIBJWT REQUIRED IMPORTED_TARGET libjwt)
find_package(OpenSSL REQUIRED)
# Unicode normalisation and case folding: people's names compared as people (auth::SamePerson).
find_package(ICU REQUIRED COMPONENTS uc i18n)
# googleapis' protos (google/api/annotations.proto, google/rpc/status.proto, ...), which the
# suite's protos import: Debian ships them in golang-github-grpc-ecosystem-grpc-gateway-dev.
set(ITSM_GOOGLEAPIS_DIR
    /usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis)
# The gateway's HTTP/1.1 server (Boost.Beast on Asio, header-only): 1.81 from libboost1.81-dev.
find_package(Boost 1.81 CONFIG REQUIRED)
if(ITSM_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(ITSM_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
