#include "services/gateway/src/gateway.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/runtime/grpc_metrics.h"
#include "itsm/runtime/logging.h"
#include "services/gateway/src/api_description.h"
#include "services/gateway/src/error_answer.h"
#include "services/gateway/src/presented_credentials.h"
#include "services/gateway/src/refused_requests.h"
#include "services/gateway/src/session_answer.h"
#include "services/gateway/src/transcoder.h"

namespace itsm::gateway {
namespace {

namespace http = boost::beast::http;

// Beast's string_view as Abseil's.
absl::string_view View(boost::beast::string_view s) {
  return absl::string_view(s.data(), s.size());
}

constexpr char kRouteUnmatched[] = "unmatched";
constexpr char kRouteRefused[] = "refused";
// Every file of the console is one route in the metrics (their names change with each build).
constexpr char kRouteConsole[] = "/console/";

HttpResponse MakeResponse(int status, unsigned version, std::string body,
                          absl::string_view content_type) {
  HttpResponse response(static_cast<http::status>(status), version);
  response.set(http::field::server, "itsm-gateway");
  if (!body.empty() || status != 304)
    response.set(http::field::content_type,
                 boost::beast::string_view(content_type.data(), content_type.size()));
  response.body() = std::move(body);
  return response;
}

HttpResponse ErrorResponse(const ErrorAnswer& error, unsigned version) {
  return MakeResponse(error.http_status, version, error.json, "application/json");
}

// The method as a metric label: the methods the API uses, anything else "OTHER" (a client may
// send any token as a method; the label must stay bounded).
std::string MethodLabel(absl::string_view method) {
  for (absl::string_view known : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (method == known) return std::string(known);
  }
  return "OTHER";
}

// A header value gRPC can carry as ASCII metadata.
bool IsPrintableAscii(absl::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Whether `value` is "*" or a list of entity tags (RFC 9110 8.8.3: `W/"..."` or `"..."`).
bool IsETagList(absl::string_view value) {
  if (absl::StripAsciiWhitespace(value) == "*") return true;
  int tags = 0;
  for (absl::string_view tag : absl::StrSplit(value, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    if (tag.empty()) continue;  // empty list elements are ignored (RFC 9110 5.6.1)
    ++tags;
    absl::ConsumePrefix(&tag, "W/");
    if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') return false;
    if (tag.substr(1, tag.size() - 2).find('"') != absl::string_view::npos) return false;
  }
  return tags > 0;
}

bool ETagMatches(absl::string_view if_none_match, absl::string_view etag) {
  for (absl::string_view tag : absl::StrSplit(if_none_match, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    absl::ConsumePrefix(&tag, "W/");
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

}  // namespace

Gateway::Gateway(RouteTable routes, Upstreams& upstreams, GatewayMetrics& metrics, Options options)
    : routes_(std::move(routes)),
      upstreams_(upstreams),
      metrics_(metrics),
      options_(options),
      openapi_json_(OpenApiJson(routes_)),
      reference_html_(ApiReferenceHtml(routes_)) {}

void Gateway::Handle(HttpRequest request, Responder respond) {
  const absl::Time start = absl::Now();
  const std::string request_id = EffectiveRequestId(View(request["X-Request-Id"]));
  const std::string method(View(request.method_string()));
  const absl::string_view target = View(request.target());
  const size_t question = target.find('?');
  const absl::string_view path = target.substr(0, question);
  const unsigned version = request.version();

  auto fixed = [&](const char* route, std::string body, absl::string_view type) {
    HttpResponse response = MakeResponse(200, version, std::move(body), type);
    response.set("X-Request-Id", request_id);
    Answer(route, method, start, std::move(response), respond);
  };
  if (options_.console != nullptr) {
    std::optional<StaticAnswer> file =
        options_.console->Serve(method, path, View(request[http::field::accept_encoding]),
                                View(request[http::field::if_none_match]));
    if (file) {
      HttpResponse response =
          MakeResponse(file->status, version, std::move(file->body), file->content_type);
      for (const auto& [name, value] : file->headers) response.set(name, value);
      response.set("X-Request-Id", request_id);
      return Answer(kRouteConsole, method, start, std::move(response), respond);
    }
  }
  // HEAD is answered as GET is, without the body (the HTTP server leaves it out).
  const std::string lookup_method = method == "HEAD" ? "GET" : method;
  if (lookup_method == "GET") {
    if (path == "/healthz") return fixed("/healthz", R"({"status":"SERVING"})", "application/json");
    if (path == "/openapi.json") return fixed("/openapi.json", openapi_json_, "application/json");
    if (path == "/docs") {
      // A static page: its one inline style and nothing else, never in another site's frame.
      HttpResponse response =
          MakeResponse(200, version, reference_html_, "text/html; charset=utf-8");
      response.set("Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                   "form-action 'none'; frame-ancestors 'none'");
      response.set("X-Frame-Options", "DENY");
      response.set("Referrer-Policy", "no-referrer");
      response.set("X-Request-Id", request_id);
      return Answer("/docs", method, start, std::move(response), respond);
    }
    if (path == kSessionPath) return Session(std::move(request), request_id, start, respond);
  }

  RouteLookup found = routes_.Find(lookup_method, path);
  // The gateway's own resources are read only.
  if (path == "/healthz" || path == "/openapi.json" || path == "/docs" || path == kSessionPath) {
    found.allowed_methods = {"GET", "HEAD"};
  }
  if (found.route == nullptr) {
    const bool other_methods = !found.allowed_methods.empty();
    absl::Status error =
        other_methods
            ? WithHttpStatus(absl::UnimplementedError(absl::StrCat(
                                 method, " is not allowed on ", path,
                                 "; allowed: ", absl::StrJoin(found.allowed_methods, ", "))),
                             405)
            : absl::NotFoundError(
                  absl::StrCat("no operation at ", method, " ", path, " (see /openapi.json)"));
    HttpResponse response = ErrorResponse(GatewayError(error, request_id), version);
    if (other_methods) response.set(http::field::allow, absl::StrJoin(found.allowed_methods, ", "));
    response.set("X-Request-Id", request_id);
    return Answer(kRouteUnmatched, method, start, std::move(response), respond);
  }
  Forward(*found.route, std::move(found.bindings), std::move(request), request_id, start,
          std::move(respond));
}

void Gateway::HandleStreaming(HttpRequest request, Responder respond, StreamResponder stream) {
  const absl::string_view target = View(request.target());
  // Event streams refuse every method but GET (HEAD included: 405, Allow: GET).
  if (options_.events != nullptr && target.substr(0, target.find('?')) == kEventsPath) {
    std::string request_id = EffectiveRequestId(View(request["X-Request-Id"]));
    return options_.events->Open(std::move(request), std::move(request_id), std::move(respond),
                                 std::move(stream));
  }
  Handle(std::move(request), std::move(respond));
}

void Gateway::Session(HttpRequest request, std::string request_id, absl::Time start,
                      Responder respond) {
  const unsigned version = request.version();
  auto answer = [this, version, request_id, start](const Responder& respond,
                                                   const absl::StatusOr<Caller>& caller,
                                                   absl::Status refusal, Headers headers) {
    HttpResponse response =
        refusal.ok() ? MakeResponse(200, version, SessionJson(caller->identity), "application/json")
                     : ErrorResponse(GatewayError(refusal, request_id), version);
    response.set("X-Request-Id", request_id);
    // Whose session it is depends on the credential: no cache may keep it for another.
    response.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : headers) response.set(name, value);
    Answer(kSessionPath, "GET", start, std::move(response), respond);
  };
  if (options_.callers == nullptr) {
    return answer(respond, absl::UnimplementedError(""),
                  absl::UnimplementedError(
                      "this gateway does not authenticate callers (each service does): no session"),
                  {});
  }
  if (!CallStarted(respond)) {
    return Answer(kSessionPath, "GET", start, ShuttingDown(request_id, version), respond);
  }
  // Authentication may read the key store and rate limiting asks Redis: not on an HTTP thread.
  auto shared = std::make_shared<HttpRequest>(std::move(request));
  const bool queued = options_.blocking->TrySubmit([this, shared, answer, respond] {
    absl::StatusOr<Caller> caller = options_.callers->Authenticate(PresentedCredentials(*shared));
    Headers headers;
    absl::Status refusal = caller.status();
    if (!caller.ok()) {
      headers.push_back({"WWW-Authenticate", "Bearer realm=\"itsm\""});
    } else if (options_.rate_limits != nullptr) {
      RateVerdict verdict = options_.rate_limits->Take(caller->identity, /*write=*/false);
      refusal = verdict.refusal;
      headers = std::move(verdict.headers);
    }
    answer(respond, caller, refusal, std::move(headers));
  });
  if (!queued) answer(respond, absl::UnavailableError(""), runtime::Executor::Overloaded(), {});
}

void Gateway::Forward(const Route& route, std::vector<PathBinding> bindings, HttpRequest request,
                      std::string request_id, absl::Time start, Responder respond) {
  // Counted from here to the answer, waiting for admission included: Drain covers it all.
  if (!CallStarted(respond)) {
    return Answer(route.path.text(), std::string(View(request.method_string())), start,
                  ShuttingDown(request_id, request.version()), respond);
  }
  if (options_.callers == nullptr) {
    // The caller's credentials, unchanged: each service verifies them itself (call_auth.h). Sent
    // even when empty: the channel's interceptor adds the gateway's own service identity to a
    // call without one, and a caller without credentials must stay anonymous, never act as the
    // gateway.
    Admission admission{.authorization = std::string(View(request[http::field::authorization]))};
    if (!IsPrintableAscii(admission.authorization)) {
      admission.refusal = absl::InvalidArgumentError("Authorization: not printable ASCII");
    } else if (request.count(http::field::authorization) > 1) {
      admission.refusal =
          absl::UnauthenticatedError("send one credential: Authorization was given more than once");
    }
    return Call(route, bindings, request, request_id, start, std::move(respond),
                std::move(admission));
  }
  // A key the cache knows, without rate limits, needs nothing but memory: admitted on this HTTP
  // thread, which saves two thread switches per request (measured: a third of the gateway's CPU
  // per GET went to switching threads).
  if (options_.rate_limits == nullptr) {
    if (std::optional<absl::StatusOr<Caller>> caller =
            options_.callers->AuthenticateFromMemory(PresentedCredentials(request))) {
      return Call(route, bindings, request, request_id, start, std::move(respond),
                  AdmissionOf(route, *std::move(caller)));
    }
  }
  // Otherwise authentication may read the key store and rate limiting asks Redis: neither on
  // the HTTP threads, which serve every connection.
  auto shared = std::make_shared<HttpRequest>(std::move(request));
  const bool queued = options_.blocking->TrySubmit(
      [this, &route, bindings = std::move(bindings), shared, request_id, start, respond] {
        Call(route, bindings, *shared, request_id, start, respond, Admit(route, *shared));
      });
  if (!queued) {
    Call(route, {}, *shared, request_id, start, respond,
         Admission{.refusal = runtime::Executor::Overloaded()});
  }
}

Gateway::Admission Gateway::Admit(const Route& route, const HttpRequest& request) {
  return AdmissionOf(route, options_.callers->Authenticate(PresentedCredentials(request)));
}

Gateway::Admission Gateway::AdmissionOf(const Route& route, absl::StatusOr<Caller> caller) {
  Admission admission;
  if (!caller.ok()) {
    admission.refusal = caller.status();
    // RFC 6750: how to authenticate, on every 401.
    admission.headers.push_back({"WWW-Authenticate", "Bearer realm=\"itsm\""});
    return admission;
  }
  admission.authorization = std::move(caller->authorization);
  if (options_.rate_limits != nullptr) {
    RateVerdict verdict = options_.rate_limits->Take(caller->identity, route.http_method != "GET");
    admission.refusal = verdict.refusal;
    admission.headers = std::move(verdict.headers);
  }
  return admission;
}

void Gateway::Call(const Route& route, const std::vector<PathBinding>& bindings,
                   const HttpRequest& request, const std::string& request_id, absl::Time start,
                   Responder respond, Admission admission) {
  const unsigned version = request.version();
  const std::string& route_label = route.path.text();
  const std::string method(View(request.method_string()));
  auto refuse = [&](const absl::Status& error) {
    HttpResponse response = ErrorResponse(GatewayError(error, request_id), version);
    response.set("X-Request-Id", request_id);
    for (const auto& [name, value] : admission.headers) response.set(name, value);
    Answer(route_label, method, start, std::move(response), respond);
  };
  if (!admission.refusal.ok()) return refuse(admission.refusal);
  // A header the call depends on, given on two lines, has no one meaning, and the first line
  // won silently: If-Match "1" then "2" applied the write, and a retry with only the second
  // Idempotency-Key created the record again (found from outside). One line holding a list is
  // refused where it is read.
  for (const char* name :
       {"If-Match", "If-None-Match", "Idempotency-Key", "Content-Type", "Content-Encoding"}) {
    if (request.count(name) > 1) {
      return refuse(base::FieldError(name, "given more than once; send it on one line, once"));
    }
  }
  const absl::string_view target = View(request.target());
  const size_t question = target.find('?');
  HttpInput input{
      .query = question == absl::string_view::npos ? "" : target.substr(question + 1),
      .body = request.body(),
      .content_type = View(request[http::field::content_type]),
      .content_encoding = View(request[http::field::content_encoding]),
      .if_match = View(request[http::field::if_match]),
      .idempotency_key = View(request["Idempotency-Key"]),
  };
  // An empty key would silently make the call an ordinary one: a client retrying it believes it
  // is safe and creates the record twice.
  if (request.count("Idempotency-Key") > 0 && input.idempotency_key.empty()) {
    return refuse(base::FieldError("Idempotency-Key", "empty; give a key, or no header"));
  }
  if (route.http_method != "GET" && request.count(http::field::if_none_match) > 0) {
    return refuse(base::FieldError("If-None-Match",
                                   "only a read takes it (a write's condition is If-Match)"));
  }
  // A condition the gateway cannot read is refused, not ignored (an answer the client believes
  // conditional would not be).
  if (request.count(http::field::if_none_match) > 0 &&
      !IsETagList(View(request[http::field::if_none_match]))) {
    return refuse(base::FieldError(
        "If-None-Match", "must be \"*\" or ETags this API gave, each in quotes, e.g. \"3\""));
  }
  absl::StatusOr<TranscodedRequest> transcoded = TranscodeRequest(route, bindings, input);
  if (!transcoded.ok()) return refuse(transcoded.status());

  const Metadata metadata = {{runtime::kRequestIdHeader, request_id},
                             {"authorization", admission.authorization}};
  std::string serialized;
  if (!transcoded->message->SerializeToString(&serialized)) {
    return refuse(absl::InvalidArgumentError("the request cannot be encoded"));
  }
  const bool version_from_if_match = transcoded->version_from_if_match;
  // HEAD is answered as GET is: the same ETag, and 304 for a matching If-None-Match.
  const bool is_read = method == "GET" || method == "HEAD";
  std::string if_none_match = is_read ? std::string(View(request[http::field::if_none_match])) : "";
  upstreams_.Call(
      *route.method, std::move(serialized), metadata, options_.upstream_timeout,
      [this, &route, route_label, method, is_read, version, request_id, start,
       version_from_if_match, if_none_match, headers = std::move(admission.headers),
       respond = std::move(respond)](grpc::Status status, std::string bytes) {
        HttpResponse response;
        if (status.error_code() == grpc::StatusCode::CANCELLED && Draining()) {
          response = ShuttingDown(request_id, version);  // cancelled by the shutdown (CancelAll)
        } else if (!status.ok()) {
          response =
              ErrorResponse(UpstreamError(status, request_id, version_from_if_match), version);
        } else {
          std::unique_ptr<google::protobuf::Message> answer(
              google::protobuf::MessageFactory::generated_factory()
                  ->GetPrototype(route.method->output_type())
                  ->New());
          if (!answer->ParseFromString(bytes)) {
            runtime::log::Error(
                "undecodable answer from a service",
                {{"method", route.method->full_name()}, {"request_id", request_id}});
            response = ErrorResponse(
                GatewayError(
                    WithHttpStatus(absl::InternalError("the service's answer could not be decoded"),
                                   502),
                    request_id),
                version);
          } else {
            const std::string etag = AnswerETagOf(*answer, is_read);
            if (!etag.empty() && !if_none_match.empty() && ETagMatches(if_none_match, etag)) {
              response = MakeResponse(304, version, "", "application/json");
            } else {
              response = MakeResponse(200, version, ResponseJson(*answer), "application/json");
            }
            if (!etag.empty()) response.set(http::field::etag, etag);
          }
        }
        response.set("X-Request-Id", request_id);
        for (const auto& [name, value] : headers) response.set(name, value);
        Answer(route_label, method, start, std::move(response), respond);
      });
}

// An answer is the caller's own (their roles and records, or why they were refused): a shared
// cache must not keep it for another, and a private one revalidates with the ETag before reusing
// it — and keeps it for the credential that asked: one record's version is one ETag whoever
// reads it, while what a role is shown of it may differ (a contract's value), so a browser that
// changed users must not be told 304 for the body the other user saw. The console's files say
// how long they keep.
namespace {
void PrivateUnlessSaid(HttpResponse& response) {
  if (response.find(http::field::cache_control) == response.end()) {
    response.set(http::field::cache_control, "private, no-cache");
    response.set(http::field::vary, "Authorization, X-API-Key");
  }
}
}  // namespace

void Gateway::Answer(const std::string& route, const std::string& method, absl::Time start,
                     HttpResponse response, const Responder& respond) {
  PrivateUnlessSaid(response);
  LogIfRefused(route, MethodLabel(method), response);
  metrics_.Observe(route, MethodLabel(method), response.result_int(),
                   absl::ToDoubleSeconds(absl::Now() - start));
  respond(std::move(response));
}

HttpResponse Gateway::Refusal(http::status status, std::string message) {
  const int code = static_cast<int>(status);
  const absl::StatusCode grpc_code = code == 503 ? absl::StatusCode::kUnavailable
                                     : code == 413 || code == 431
                                         ? absl::StatusCode::kResourceExhausted
                                         : absl::StatusCode::kInvalidArgument;
  const std::string request_id = base::NewUuid();
  HttpResponse response = ErrorResponse(
      GatewayError(WithHttpStatus(absl::Status(grpc_code, message), code), request_id), 11);
  response.set("X-Request-Id", request_id);
  PrivateUnlessSaid(response);
  metrics_.Observe(kRouteRefused, "OTHER", code, 0);
  return response;
}

bool Gateway::CallStarted(Responder& respond) {
  {
    absl::MutexLock lock(&mu_);
    if (draining_) return false;
    ++in_flight_;
  }
  // Shared by every copy of the wrapped responder; the last one releases the connection, then
  // ends the call.
  class Pending {
   public:
    Pending(Gateway& gateway, Responder respond)
        : gateway_(gateway), respond_(std::move(respond)) {}
    Pending(const Pending&) = delete;
    Pending& operator=(const Pending&) = delete;
    ~Pending() {
      respond_ = nullptr;
      gateway_.CallEnded();
    }
    void operator()(HttpResponse response) const { respond_(std::move(response)); }

   private:
    Gateway& gateway_;
    Responder respond_;
  };
  auto pending = std::make_shared<Pending>(*this, std::move(respond));
  respond = [pending](HttpResponse response) { (*pending)(std::move(response)); };
  return true;
}

HttpResponse Gateway::ShuttingDown(const std::string& request_id, unsigned version) {
  HttpResponse response = ErrorResponse(
      GatewayError(absl::UnavailableError("the gateway is shutting down; retry"), request_id),
      version);
  response.set("X-Request-Id", request_id);
  response.set(http::field::retry_after, "1");
  // The client's next request goes to another replica, or here once restarted.
  response.keep_alive(false);
  return response;
}

bool Gateway::Draining() {
  absl::MutexLock lock(&mu_);
  return draining_;
}

void Gateway::CallEnded() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

bool Gateway::Drain(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  draining_ = true;
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

}  // namespace itsm::gateway
