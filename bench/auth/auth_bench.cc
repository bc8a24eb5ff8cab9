// What authorisation costs a service per call.
//   ./bench/auth_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <memory>

#include "itsm/auth/access_policy.h"
#include "itsm/auth/token_signer.h"
#include "itsm/auth/token_verifier.h"
#include "tests/access_test.pb.h"

namespace itsm::auth {
namespace {

AccessPolicy Policy() {
  return AccessPolicy::ForServices(
      {authtest::v1::Request::descriptor()->file()->FindServiceByName("AccessTestService")});
}

void BM_AuthoriseAllowed(benchmark::State& state) {
  AccessPolicy policy = Policy();
  Identity agent{.subject = "alice@example.com", .roles = {common::v1::ROLE_AGENT}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        policy.Authorise("/itsm.authtest.v1.AccessTestService/ForAgents", &agent));
  }
}
BENCHMARK(BM_AuthoriseAllowed);

void BM_AuthoriseDenied(benchmark::State& state) {
  AccessPolicy policy = Policy();
  Identity viewer{.subject = "alice@example.com", .roles = {common::v1::ROLE_VIEWER}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        policy.Authorise("/itsm.authtest.v1.AccessTestService/ForAgents", &viewer));
  }
}
BENCHMARK(BM_AuthoriseDenied);

struct Setup {
  explicit Setup(Algorithm alg)
      : key(*GenerateSigningKey(alg, "k1")),
        signer(key, "itsm-gateway", base::SystemClock::Get()),
        verifier({{.issuer = "itsm-gateway",
                   .audience = "itsm",
                   .keys = std::make_shared<StaticKeySource>(*ParseJwks(JwksOf({key})))}},
                 base::SystemClock::Get(), {.cache_size = 1}) {}
  SigningKey key;
  TokenSigner signer;
  TokenVerifier verifier;
  Identity who{.subject = "alice@example.com", .roles = {common::v1::ROLE_AGENT}};
};

void BM_VerifyCached(benchmark::State& state) {
  Setup s(Algorithm::kEs256);
  TokenVerifier cached({{.issuer = "itsm-gateway",
                         .audience = "itsm",
                         .keys = std::make_shared<StaticKeySource>(*ParseJwks(JwksOf({s.key})))}},
                       base::SystemClock::Get());
  std::string token = *s.signer.Sign(s.who, "itsm", absl::Minutes(5));
  for (auto _ : state) benchmark::DoNotOptimize(cached.Verify(token));
}
BENCHMARK(BM_VerifyCached);

// cache_size 1 with two tokens alternating: every call checks a signature.
void VerifyUncached(benchmark::State& state, Algorithm alg) {
  Setup s(alg);
  std::string tokens[2] = {*s.signer.Sign(s.who, "itsm", absl::Minutes(5)),
                           *s.signer.Sign(s.who, "itsm", absl::Minutes(6))};
  int i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(s.verifier.Verify(tokens[i++ & 1]));
}
void BM_VerifyUncachedEs256(benchmark::State& state) { VerifyUncached(state, Algorithm::kEs256); }
void BM_VerifyUncachedRs256(benchmark::State& state) { VerifyUncached(state, Algorithm::kRs256); }
BENCHMARK(BM_VerifyUncachedEs256);
BENCHMARK(BM_VerifyUncachedRs256);

void BM_SignEs256(benchmark::State& state) {
  Setup s(Algorithm::kEs256);
  for (auto _ : state) benchmark::DoNotOptimize(s.signer.Sign(s.who, "itsm", absl::Minutes(5)));
}
BENCHMARK(BM_SignEs256);

}  // namespace
}  // namespace itsm::auth
