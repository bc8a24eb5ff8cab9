#include "services/gateway/src/gateway_service_info.h"

#include "absl/strings/str_split.h"
#include "itsm/redis/redis_settings.h"

namespace itsm::gateway {

const std::vector<UpstreamService>& UpstreamServices() {
  static const auto* services = new std::vector<UpstreamService>{
      {"itsm.incident.v1.IncidentService", "incident_address"},
      // Alertmanager notifications (docs/observability.md): served by the incident process.
      {"itsm.incident.v1.AlertIntakeService", "incident_address"},
      {"itsm.config.v1.ConfigurationService", "configuration_address"},
      {"itsm.sla.v1.SlaService", "sla_address"},
      {"itsm.change.v1.ChangeService", "change_address"},
      {"itsm.supplier.v1.SupplierService", "supplier_address"},
      {"itsm.webhooks.v1.WebhookService", "webhooks_address"},
  };
  return *services;
}

runtime::ServiceInfo GatewayServiceInfo() {
  using runtime::BoolOption;
  using runtime::IntOption;
  using runtime::StringOption;
  return {"gateway",
          50050,
          9150,
          {
              IntOption("http_port", 8080, 0, 65535,
                        "Port of the REST/JSON API (HTTP/1.1); 0 picks a free one (reported in "
                        "the ready file)."),
              StringOption("incident_address", "127.0.0.1:50051",
                           "The incident service (incidents, service requests, problems)."),
              StringOption("configuration_address", "127.0.0.1:50053",
                           "The configuration service (the CMDB)."),
              StringOption("sla_address", "127.0.0.1:50054", "The SLA service."),
              StringOption("change_address", "127.0.0.1:50052",
                           "The change service (changes, templates, windows, the calendar)."),
              StringOption("supplier_address", "127.0.0.1:50055",
                           "The supplier service (suppliers, contracts, scorecards, costs)."),
              StringOption("webhooks_address", "127.0.0.1:50057",
                           "The webhook service (subscriptions, deliveries, replay)."),
              StringOption("api_keys_address", "",
                           "Where the gateway calls its own ApiKeyService (the REST routes of "
                           "API keys); empty: its own gRPC port, on 127.0.0.1 when bound to all "
                           "addresses. With mutual TLS, a name its certificate carries (the "
                           "Helm chart sets the gateway's Service name, itsm-gateway:50050 for the "
                           "release itsm)."),
              StringOption("console_dir", "",
                           "The web console's built files (index.html and bundles; build/console, "
                           "docs/console.md), served under /console/ with / redirecting there; "
                           "empty: no console."),
              StringOption("console_oidc_client_id", "",
                           "The console's client id at oidc_issuer (a public client: "
                           "authorisation-code flow with PKCE, no secret; docs/console.md); "
                           "empty: the console signs in with API keys only."),
              StringOption("console_oidc_provider_name", "",
                           "The provider's name on the console's \"Sign in with ...\" button; "
                           "empty: the issuer's host."),
              StringOption("console_oidc_scopes", "openid",
                           "Scopes the console asks the provider for, space-separated."),
              StringOption("console_oidc_connect_origins", "",
                           "Origins besides oidc_issuer's the console may fetch from (the "
                           "provider's token endpoint when it is elsewhere), comma-separated."),
              IntOption("http_threads", 2, 1, 64, "Threads serving HTTP connections."),
              IntOption("max_connections", 1000, 1, 100000,
                        "Open HTTP connections at most; one more is answered 503 and closed."),
              IntOption("max_body_bytes", 1048576, 1024, 67108864,
                        "Largest request body; a larger one is answered 413 unread."),
              IntOption("max_header_bytes", 16384, 1024, 1048576,
                        "Largest request line and headers; larger is answered 431."),
              IntOption("idle_timeout_ms", 60000, 100, 3600000,
                        "A kept-alive connection with no new request for this long is closed."),
              IntOption("header_timeout_ms", 10000, 100, 600000,
                        "A request's line and headers must arrive within this of its first byte, "
                        "and a new connection's first request must begin within it (a slower or "
                        "silent client is cut off)."),
              IntOption("body_timeout_ms", 30000, 100, 600000,
                        "A request's body must arrive, and an answer be taken by the client, "
                        "within this (an event stream's pieces: events_stall_timeout_ms)."),
              StringOption("tls_cert_file", "",
                           "PEM certificate (its intermediates after it) of the HTTP port, which "
                           "then serves HTTPS only; empty: plain HTTP. Re-read when it changes."),
              StringOption("tls_key_file", "", "PEM private key of tls_cert_file."),
              StringOption("tls_chain_file", "",
                           "Optional PEM intermediates, when kept apart from tls_cert_file."),
              // Each look is three stat() calls on the acceptor's strand, on an accepted
              // connection only: once a second costs nothing measurable and picks up a renewal
              // (cert-manager, certbot) at once.
              IntOption("tls_reload_check_ms", 1000, 100, 3600000,
                        "How often, at most, the certificate files are looked at for a change "
                        "(on the next connection); new connections get a changed certificate, "
                        "open ones keep theirs."),
              IntOption("upstream_connections", 4, 1, 64,
                        "Connections (HTTP/2) to each service, taken in turn: one connection is "
                        "served by one thread at a time at each end."),
              IntOption("upstream_timeout_ms", 30000, 100, 600000,
                        "Deadline of each call to a service; past it the answer is 504."),
              IntOption("identity_token_ttl_seconds", 300, 5, 3600,
                        "Life of the token the gateway signs for a caller it authenticated (an "
                        "API key, a provider's token), never beyond the credential's own expiry."),
              IntOption("api_key_cache_seconds", 10, 1, 300,
                        "How long a replica trusts its last look at an API key: a revoked key "
                        "stops working within this."),
              StringOption("oidc_issuer", "",
                           "An OAuth2/OIDC provider whose access tokens are accepted (its iss); "
                           "empty: none."),
              StringOption("oidc_audience", "itsm",
                           "The audience (aud) the provider's tokens must name."),
              StringOption("oidc_jwks_url", "",
                           "The provider's JWKS URL (jwks_uri of its OpenID configuration; https, "
                           "or http on loopback), cached for its Cache-Control max-age and fetched "
                           "again at once for an unknown kid. This or oidc_jwks_file with "
                           "oidc_issuer."),
              StringOption("oidc_jwks_ca_file", "",
                           "CA certificates (PEM) to verify oidc_jwks_url's server with; empty: "
                           "the system's."),
              StringOption("oidc_jwks_file", "",
                           "The provider's JWKS (public keys) in a file, re-read when it changes: "
                           "instead of oidc_jwks_url."),
              StringOption("oidc_roles_claim", "roles",
                           "The claim of the provider's tokens that lists the caller's roles or "
                           "groups."),
              StringOption("oidc_role_mapping", "",
                           "Provider roles to suite roles, e.g. \"itsm-agents=agent,"
                           "itsm-admins=admin\"; empty: the claim holds suite role names."),
              StringOption("redis_address", "",
                           "Redis holding the rate limits' buckets (shared by replicas); empty: "
                           "no rate limits."),
              redis::RedisUsernameOption(),
              redis::RedisPasswordOption(),
              redis::RedisPasswordFileOption(),
              IntOption("rate_limit_reads_per_second", 50, 1, 1000000,
                        "Reads (GET) per second each caller may make, sustained."),
              IntOption("rate_limit_read_burst", 100, 1, 1000000,
                        "Reads a caller may make at once after a pause (the bucket's size)."),
              IntOption("rate_limit_writes_per_second", 20, 1, 1000000,
                        "Writes (every other method) per second each caller may make."),
              IntOption("rate_limit_write_burst", 40, 1, 1000000,
                        "Writes a caller may make at once after a pause."),
              StringOption("event_topics",
                           "itsm.incident.v1,itsm.change.v1,itsm.config.v1,itsm.sla.v1,"
                           "itsm.supplier.v1",
                           "Topics GET /v1/events streams, comma-separated (every gateway replica "
                           "must list the same: the Last-Event-ID cursor covers them all)."),
              IntOption("events_max_streams", 200, 0, 100000,
                        "Event streams (GET /v1/events) open at most on this gateway, each with "
                        "its own Kafka consumer; one more is answered 503 with Retry-After."),
              IntOption("events_max_streams_per_caller", 5, 1, 10000,
                        "Event streams one caller (identity) may hold open on this gateway; one "
                        "more is answered 429 with Retry-After."),
              IntOption("events_heartbeat_ms", 15000, 100, 300000,
                        "An idle event stream sends a comment this often (against idle timeouts "
                        "of proxies), and re-checks the caller's credential."),
              IntOption("events_retry_ms", 3000, 0, 600000,
                        "The SSE retry: field: how long a client waits before it reconnects."),
              IntOption("events_buffer_bytes", 262144, 4096, 67108864,
                        "Rendered events a stream holds for a slow client; when full, its "
                        "consumer stops fetching."),
              IntOption("events_stall_timeout_ms", 30000, 100, 3600000,
                        "A stream whose client takes nothing for this long while events wait is "
                        "closed (for lag); the client resumes with its Last-Event-ID."),
              BoolOption("rate_limit_fail_open", true,
                         "When Redis does not answer: true lets requests through unlimited "
                         "(counted in itsm_gateway_rate_limit_unavailable_total), false refuses "
                         "them with 503."),
          }};
}

EventStreamOptions EventStreamOptionsFrom(const runtime::Config& config) {
  return {
      .bootstrap_servers = config.GetString("kafka_bootstrap_servers"),
      .client_properties = config.GetString("kafka_client_properties"),
      .topics = absl::StrSplit(config.GetString("event_topics"), ',', absl::SkipWhitespace()),
      .max_streams = static_cast<int>(config.GetInt("events_max_streams")),
      .max_streams_per_caller = static_cast<int>(config.GetInt("events_max_streams_per_caller")),
      .heartbeat = absl::Milliseconds(config.GetInt("events_heartbeat_ms")),
      .retry = absl::Milliseconds(config.GetInt("events_retry_ms")),
      .max_buffer_bytes = static_cast<size_t>(config.GetInt("events_buffer_bytes")),
      .stall_timeout = absl::Milliseconds(config.GetInt("events_stall_timeout_ms")),
  };
}

HttpServerOptions HttpOptionsFrom(const runtime::Config& config) {
  return {
      .bind_address = config.GetString("bind_address"),
      .port = static_cast<int>(config.GetInt("http_port")),
      .threads = static_cast<int>(config.GetInt("http_threads")),
      .max_connections = static_cast<int>(config.GetInt("max_connections")),
      .max_header_bytes = static_cast<size_t>(config.GetInt("max_header_bytes")),
      .max_body_bytes = static_cast<size_t>(config.GetInt("max_body_bytes")),
      .idle_timeout = absl::Milliseconds(config.GetInt("idle_timeout_ms")),
      .header_timeout = absl::Milliseconds(config.GetInt("header_timeout_ms")),
      .body_timeout = absl::Milliseconds(config.GetInt("body_timeout_ms")),
  };
}

}  // namespace itsm::gateway
