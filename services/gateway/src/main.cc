// itsm-gateway: the suite's REST/JSON entry point. Every RPC annotated with google.api.http is
// served over HTTP/1.1 and forwarded to its service over gRPC; /openapi.json and /docs describe
// the API from the same descriptors.
#include <atomic>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "itsm/apikeys/api_key_grpc_service.h"
#include "itsm/apikeys/api_key_management.h"
#include "itsm/apikeys/api_key_verifier.h"
#include "itsm/auth/access_policy.h"
#include "itsm/auth/keys.h"
#include "itsm/auth/token_signer.h"
#include "itsm/auth/token_verifier.h"
#include "itsm/base/clock.h"
#include "itsm/events/event_json.h"
#include "itsm/ratelimit/rate_limiter.h"
#include "itsm/redis/redis_settings.h"
#include "itsm/runtime/executor.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/service_database.h"
#include "itsm/storage/group_commit.h"
#include "services/gateway/src/caller_authentication.h"
#include "services/gateway/src/caller_rate_limits.h"
#include "services/gateway/src/console_files.h"
#include "services/gateway/src/event_streams.h"
#include "services/gateway/src/gateway.h"
#include "services/gateway/src/gateway_metrics.h"
#include "services/gateway/src/gateway_service_info.h"
#include "services/gateway/src/http_server.h"
#include "services/gateway/src/identity_providers.h"
#include "services/gateway/src/route_table.h"
#include "services/gateway/src/upstreams.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(argc, argv, gateway::GatewayServiceInfo());
  const auto& config = rt.config();

  auto routes = gateway::RouteTable::Build(auth::LinkedServices("itsm."));
  if (!routes.ok()) {
    runtime::log::Error("cannot serve the API annotations",
                        {{"error", routes.status().ToString()}});
    return 2;
  }
  const base::Clock& clock = base::SystemClock::Get();
  // API keys live in the gateway's own database, served by its ApiKeyService (gRPC, and REST
  // through the gateway's own routes).
  auto db = servicedb::OpenDatabaseOrExit(rt, apikeys::ApiKeyManagement::Schema());
  storage::GroupCommitter committer(*db, {.max_batch = 64, .writers = 1});
  servicedb::ObserveGroupCommits(committer, rt.metrics());
  rt.OnShutdown("group committer", [&committer] { committer.Stop(); });
  // Blocking work: key management calls, and the admission of each request (authentication may
  // read the key store, rate limiting asks Redis).
  runtime::Executor executor("calls", static_cast<int>(config.GetInt("database_pool_size")), 4096);
  rt.OnShutdown("call executor", [&executor] { executor.Stop(); });
  const apikeys::ApiKeyManagement keys(clock);
  apikeys::CachedApiKeyVerifier key_verifier(
      *db, keys, clock, {.ttl = absl::Seconds(config.GetInt("api_key_cache_seconds"))});
  // A key revoked or rotated here: its verdicts are forgotten, and the event streams (made
  // below) check their keys at once rather than at their next heartbeat.
  std::atomic<gateway::EventStreams*> streams_to_recheck{nullptr};
  apikeys::ApiKeyGrpcService key_service(
      *db, committer, executor, keys, [&key_verifier, &streams_to_recheck] {
        key_verifier.ForgetAll();
        if (gateway::EventStreams* streams = streams_to_recheck.load()) {
          streams->CheckCredentialsNow();
        }
      });
  rt.AddService(&key_service, "itsm.gateway.v1.ApiKeyService");

  // Callers authenticate here; the services receive suite tokens (caller_authentication.h).
  // Without auth_jwks_file (only with allow_unauthenticated, development: the runtime refuses to
  // start otherwise) the Authorization a caller sends goes on as it is.
  std::unique_ptr<gateway::CallerAuthentication> callers;
  if (!config.GetString("auth_jwks_file").empty()) {
    auto issuers = gateway::TrustedIssuersFrom(config, clock);
    auto signing_key = auth::SigningKeyFromPemFile(config.GetString("auth_signing_key_file"));
    if (!issuers.ok() || !signing_key.ok()) {
      runtime::log::Error(
          "cannot set up caller authentication (auth_signing_key_file is required: the gateway "
          "vouches for the callers it authenticates)",
          {{"error", (issuers.ok() ? signing_key.status() : issuers.status()).ToString()}});
      return 2;
    }
    callers = std::make_unique<gateway::CallerAuthentication>(
        std::make_shared<auth::TokenVerifier>(*std::move(issuers), clock),
        config.GetString("auth_issuer"),
        auth::TokenSigner(*std::move(signing_key), config.GetString("auth_issuer"), clock),
        &key_verifier, clock,
        gateway::CallerAuthentication::Options{
            .audience = config.GetString("auth_audience"),
            .token_ttl = absl::Seconds(config.GetInt("identity_token_ttl_seconds"))});
  }
  std::unique_ptr<ratelimit::RedisRateLimiter> limiter;
  std::unique_ptr<gateway::CallerRateLimits> rate_limits;
  if (const std::string redis = config.GetString("redis_address");
      !redis.empty() && callers != nullptr) {
    auto redis_auth = redis::RedisAuthFrom(config);
    if (!redis_auth.ok()) {
      runtime::log::Error("cannot read the Redis credentials",
                          {{"error", redis_auth.status().ToString()}});
      return 2;
    }
    limiter = std::make_unique<ratelimit::RedisRateLimiter>(
        ratelimit::RedisRateLimiter::Options{.redis_address = redis,
                                             .auth = *std::move(redis_auth)},
        clock);
    rate_limits = std::make_unique<gateway::CallerRateLimits>(
        *limiter,
        gateway::CallerRateLimits::Options{
            .read = {.per_second =
                         static_cast<double>(config.GetInt("rate_limit_reads_per_second")),
                     .burst = config.GetInt("rate_limit_read_burst")},
            .write = {.per_second =
                          static_cast<double>(config.GetInt("rate_limit_writes_per_second")),
                      .burst = config.GetInt("rate_limit_write_burst")},
            .fail_open = config.GetBool("rate_limit_fail_open")},
        rt.metrics());
  }

  // A few connections per service, reused by every call (upstreams.h).
  gateway::Upstreams upstreams;
  const int connections = static_cast<int>(config.GetInt("upstream_connections"));
  // Its own service is called as any other, so that the REST routes of API keys are authorised
  // where the keys are kept. With mutual TLS the name dialled must be one of its certificate's
  // (found from outside: on Kubernetes it dialled 0.0.0.0), hence api_keys_address.
  upstreams.AddLater(
      "itsm.gateway.v1.ApiKeyService",
      [&rt, configured = config.GetString("api_keys_address")]() -> std::shared_ptr<grpc::Channel> {
        if (!configured.empty()) return rt.ChannelTo(configured);
        const std::string own = rt.GrpcAddress();
        return own.empty() ? nullptr : rt.ChannelTo(own);
      });
  for (const auto* service : routes->services()) {
    for (const auto& upstream : gateway::UpstreamServices()) {
      if (upstream.service == service->full_name()) {
        for (int connection = 1; connection <= connections; ++connection) {
          upstreams.Add(upstream.service,
                        rt.ChannelTo(config.GetString(upstream.address_option), connection));
        }
      }
    }
    if (!upstreams.Has(service->full_name())) {
      runtime::log::Error("a service with REST routes has no upstream address option",
                          {{"service", service->full_name()}});
      return 2;
    }
  }
  gateway::GatewayMetrics metrics(rt.metrics());
  // GET /v1/events: a Kafka consumer per stream (event_streams.h).
  const gateway::EventStreamOptions event_options = gateway::EventStreamOptionsFrom(config);
  if (absl::Status s = events::CheckEventTypesLinked(event_options.topics); !s.ok()) {
    runtime::log::Error("invalid configuration", {{"error", s.ToString()}});
    return 2;
  }
  // The streams' blocking work (a consumer's metadata and watermark queries, up to seconds each
  // while the broker is slow; its teardown; the credential re-checks) on threads of its own:
  // clients reconnecting during a broker outage must not hold up the admission of every request.
  runtime::Executor stream_executor(
      "streams", 4, 2 * static_cast<size_t>(std::max(1, event_options.max_streams)));
  rt.OnShutdown("event stream executor", [&stream_executor] { stream_executor.Stop(); });
  gateway::EventStreams event_streams(event_options, callers.get(), rate_limits.get(),
                                      stream_executor, metrics, rt.metrics());
  streams_to_recheck = &event_streams;
  // The web console, when built (docs/console.md).
  std::unique_ptr<gateway::ConsoleFiles> console;
  if (const std::string dir = config.GetString("console_dir"); !dir.empty()) {
    if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / "index.html")) {
      runtime::log::Error("console_dir has no index.html (build the console: itsm_console)",
                          {{"console_dir", dir}});
      return 2;
    }
    gateway::ConsoleOidc oidc{.issuer = config.GetString("oidc_issuer"),
                              .client_id = config.GetString("console_oidc_client_id"),
                              .provider_name = config.GetString("console_oidc_provider_name"),
                              .scopes = config.GetString("console_oidc_scopes"),
                              .audience = config.GetString("oidc_audience")};
    for (absl::string_view origin : absl::StrSplit(config.GetString("console_oidc_connect_origins"),
                                                   ',', absl::SkipWhitespace())) {
      oidc.connect_origins.emplace_back(absl::StripAsciiWhitespace(origin));
    }
    if (oidc.issuer.empty() && !oidc.client_id.empty()) {
      runtime::log::Warn(
          "console_oidc_client_id without oidc_issuer: the console offers API keys only",
          {{"console_oidc_client_id", oidc.client_id}});
    }
    console = std::make_unique<gateway::ConsoleFiles>(dir, std::move(oidc));
  }
  gateway::Gateway gateway(
      *std::move(routes), upstreams, metrics,
      {.upstream_timeout = absl::Milliseconds(config.GetInt("upstream_timeout_ms")),
       .callers = callers.get(),
       .rate_limits = rate_limits.get(),
       .blocking = &executor,
       .events = &event_streams,
       .console = console.get()});
  gateway::HttpServerOptions http_options = gateway::HttpOptionsFrom(config);
  http_options.tls = gateway::HttpsOptionsFrom(config);
  http_options.metrics = &rt.metrics();
  auto server = gateway::HttpServer::Start(http_options, gateway);
  if (!server.ok()) {
    runtime::log::Error("cannot start the HTTP server", {{"error", server.status().ToString()}});
    return 1;
  }
  const std::string http_address =
      absl::StrCat(config.GetString("bind_address"), ":", (*server)->port());
  runtime::log::Info(
      http_options.tls.enabled() ? "serving HTTPS" : "serving HTTP",
      {{"http", http_address}, {"routes", static_cast<int64_t>(gateway.routes().routes().size())}});
  rt.SetHttpAddress(http_address);
  // After the health grace period: no new connection, the calls in flight are answered, then
  // the threads stop (an answer still pending after the wait is dropped with its connection).
  rt.OnShutdown("http server", [&server, &gateway, &event_streams, &upstreams] {
    (*server)->StopAccepting();
    // Event streams end first: their clients reconnect elsewhere with their Last-Event-ID.
    // Within the default shutdown_timeout_seconds (15) after the 1 s grace period: 3 + 6 s,
    // and what the cancelled calls and the later stages need.
    event_streams.Stop(absl::Seconds(3));
    if (!gateway.Drain(absl::Seconds(6))) {
      // Their connections must not outlive the server: the calls still waiting for a service
      // are cancelled (answered 503), and the server stops only once every call has ended (or
      // the process's shutdown_timeout_seconds ends it).
      runtime::log::Warn("calls still in flight at shutdown: cancelled", {});
      upstreams.CancelAll();
      gateway.Drain(absl::InfiniteDuration());
    }
    (*server)->Stop();
  });
  return rt.Run();
}
