// The gateway over real HTTP on loopback, with its services unreachable (a closed port): every
// request that is refused must be refused by the gateway itself (a forwarded one would be 503),
// which is what the transcoding tests generated from the descriptors prove for every route.
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "itsm/auth/access_policy.h"
#include "itsm/supervisor/child_process.h"
#include "services/gateway/src/api_description.h"
#include "services/gateway/src/field_path.h"
#include "services/gateway/src/gateway.h"
#include "services/gateway/tests/http_client.h"

namespace itsm::gateway {
namespace {

using google::protobuf::FieldDescriptor;
using testing::HttpAnswer;
using testing::HttpClient;

// The field a refusal names (its BadRequest field violation), "" when none.
std::string ViolatedField(const std::string& json) {
  google::rpc::Status status;
  if (!google::protobuf::util::JsonStringToMessage(json, &status).ok()) return "<not a Status>";
  for (const auto& detail : status.details()) {
    google::rpc::BadRequest bad;
    if (detail.UnpackTo(&bad) && bad.field_violations_size() > 0) {
      return bad.field_violations(0).field();
    }
  }
  return "";
}

class GatewayHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto routes = RouteTable::Build(auth::LinkedServices("itsm."));
    ASSERT_TRUE(routes.ok()) << routes.status();
    const std::string nowhere = absl::StrCat("127.0.0.1:", supervisor::FindFreePort());
    for (const auto* service : routes->services()) {
      upstreams_.Add(service->full_name(),
                     grpc::CreateChannel(nowhere, grpc::InsecureChannelCredentials()));
    }
    gateway_ = std::make_unique<Gateway>(*std::move(routes), upstreams_, metrics_,
                                         Gateway::Options{.upstream_timeout = absl::Seconds(5)});
    HttpServerOptions options{.port = 0,
                              .max_header_bytes = 4096,
                              .max_body_bytes = 64 * 1024,
                              .idle_timeout = absl::Seconds(5),
                              .header_timeout = absl::Milliseconds(300)};
    auto server = HttpServer::Start(options, *gateway_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    server_->StopAccepting();
    EXPECT_TRUE(gateway_->Drain(absl::Seconds(10)));
    server_->Stop();
  }
  HttpClient Client() { return HttpClient("127.0.0.1", server_->port()); }

  prometheus::Registry registry_;
  GatewayMetrics metrics_{registry_};
  Upstreams upstreams_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(GatewayHttpTest, ServesHealthTheOpenApiDocumentAndTheReference) {
  HttpClient client = Client();
  HttpAnswer health = client.Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  HttpAnswer openapi = client.Send("GET", "/openapi.json");  // same connection: kept alive
  ASSERT_EQ(openapi.status, 200);
  google::protobuf::Struct document;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(openapi.body, &document).ok());
  EXPECT_EQ(document.fields().at("openapi").string_value(), "3.1.0");
  const auto& paths = document.fields().at("paths").struct_value().fields();
  EXPECT_TRUE(paths.count("/v1/incidents/{id}:transition"));
  // The routes that are no RPC are there too, for a generated client.
  EXPECT_TRUE(paths.count("/v1/events"));
  EXPECT_TRUE(paths.at("/v1/session").struct_value().fields().count("get"));
  // What a generated client needs for the documented contract (found from outside): the
  // conditional headers with their answers, and both ways to present a key.
  const auto& get = paths.at("/v1/incidents/{id}").struct_value().fields().at("get").struct_value();
  EXPECT_TRUE(get.fields().at("responses").struct_value().fields().count("304"));
  EXPECT_TRUE(absl::StrContains(openapi.body, "\"If-None-Match\""));
  const auto& post =
      paths.at("/v1/incidents/{id}:transition").struct_value().fields().at("post").struct_value();
  EXPECT_TRUE(post.fields().at("responses").struct_value().fields().count("412"));
  EXPECT_TRUE(absl::StrContains(openapi.body, "\"X-API-Key\""));
  HttpAnswer docs = client.Send("GET", "/docs");
  EXPECT_EQ(docs.status, 200);
  EXPECT_TRUE(absl::StrContains(docs.body, "/v1/incidents/{id}:transition"));
  EXPECT_TRUE(absl::StrContains(docs.body, "/v1/session"));
  EXPECT_TRUE(absl::StartsWith(docs.Header("content-type"), "text/html"));
  // A static page: no script, never framed, never sniffed.
  EXPECT_TRUE(absl::StartsWith(docs.Header("content-security-policy"), "default-src 'none'"));
  EXPECT_TRUE(absl::StrContains(docs.Header("content-security-policy"), "frame-ancestors 'none'"));
  EXPECT_EQ(docs.Header("x-frame-options"), "DENY");
  for (const HttpAnswer* answer : {&health, &openapi, &docs}) {
    EXPECT_EQ(answer->Header("x-content-type-options"), "nosniff");
  }
  EXPECT_EQ(client.Send("GET", "/v1/nothing").Header("x-content-type-options"), "nosniff");
}

TEST_F(GatewayHttpTest, UnknownPathsAndMethodsAreRefusedAsJson) {
  HttpClient client = Client();
  HttpAnswer missing = client.Send("GET", "/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(absl::StrContains(missing.body, "\"code\":5")) << missing.body;
  HttpAnswer wrong_method = client.Send("DELETE", "/v1/incidents/INC1");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.Header("allow"), "GET, HEAD, PATCH");
  // The gateway's own resources are read only: 405 too, not "no such route".
  for (const char* own : {"/healthz", "/openapi.json", "/docs", "/v1/session"}) {
    HttpAnswer posted = client.Send("POST", own, "{}");
    EXPECT_EQ(posted.status, 405) << own;
    EXPECT_EQ(posted.Header("allow"), "GET, HEAD") << own;
  }
}

TEST_F(GatewayHttpTest, RequestIdsAreEchoedOrMade) {
  HttpClient client = Client();
  EXPECT_EQ(
      client.Send("GET", "/healthz", "", {{"X-Request-Id", "abc-123"}}).Header("x-request-id"),
      "abc-123");
  const std::string made =
      client.Send("GET", "/healthz", "", {{"X-Request-Id", "bad id\twith spaces"}})
          .Header("x-request-id");
  EXPECT_EQ(made.size(), 36u) << made;  // a new UUID, not the caller's text
  EXPECT_EQ(client.Send("GET", "/healthz", "", {{"X-Request-Id", std::string(200, 'a')}})
                .Header("x-request-id")
                .size(),
            36u);
}

// Shutdown: once the gateway drains, a call on a connection still kept alive is answered 503 at
// once and nothing is forwarded (its connection could otherwise outlive the server).
TEST_F(GatewayHttpTest, ACallArrivingWhileTheGatewayDrainsIs503WithRetryAfter) {
  HttpClient client = Client();
  EXPECT_EQ(client.Send("GET", "/healthz").status, 200);
  server_->StopAccepting();
  ASSERT_TRUE(gateway_->Drain(absl::Seconds(5)));
  HttpAnswer late = client.Send("GET", "/v1/incidents/INC1", "", {{"X-Request-Id", "late-1"}});
  EXPECT_EQ(late.status, 503) << late.body;
  EXPECT_TRUE(absl::StrContains(late.body, "shutting down")) << late.body;
  EXPECT_EQ(late.Header("retry-after"), "1");
  EXPECT_EQ(late.Header("x-request-id"), "late-1");
  EXPECT_TRUE(gateway_->Drain(absl::Seconds(1))) << "the refused call is not in flight";
}

TEST_F(GatewayHttpTest, AForwardedCallToAnUnreachableServiceIs503) {
  HttpAnswer a = Client().Send("GET", "/v1/incidents/INC1");
  EXPECT_EQ(a.status, 503) << a.body;
  EXPECT_TRUE(absl::StrContains(a.body, "\"code\":14")) << a.body;
}

TEST_F(GatewayHttpTest, LimitsTooLargeBodiesAndHeadersAndSlowClients) {
  HttpAnswer large = Client().Send("POST", "/v1/incidents", std::string(70 * 1024, ' '));
  EXPECT_EQ(large.status, 413) << large.body;
  HttpAnswer headers = Client().Send("GET", "/healthz", "", {{"X-Big", std::string(5000, 'a')}});
  EXPECT_EQ(headers.status, 431);
  HttpAnswer malformed = Client().SendRaw("GARBAGE\r\n\r\n");
  EXPECT_EQ(malformed.status, 400);

  // A head that never ends is cut off after header_timeout (300 ms here, against an idle
  // timeout of 5 s): the connection closes.
  HttpClient slow = Client();
  const absl::Time start = absl::Now();
  HttpAnswer timed_out = slow.SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  EXPECT_TRUE(timed_out.closed);
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

TEST_F(GatewayHttpTest, CountsAnswersByRouteTemplateNotByPath) {
  HttpClient client = Client();
  client.Send("GET", "/v1/incidents/INC1");
  client.Send("GET", "/v1/incidents/INC2");
  client.Send("GET", "/v1/no/such/thing");
  std::map<std::string, double> counts;
  for (const auto& family : registry_.Collect()) {
    if (family.name != "itsm_gateway_http_requests_total") continue;
    for (const auto& metric : family.metric) {
      std::string key;
      for (const auto& label : metric.label)
        absl::StrAppend(&key, label.name, "=", label.value, ",");
      counts[key] += metric.counter.value;
    }
  }
  EXPECT_EQ((counts["code=503,method=GET,route=/v1/incidents/{id},"]), 2);
  EXPECT_EQ((counts["code=404,method=GET,route=unmatched,"]), 1);
}

// A JSON value of the wrong type for `field` (nothing the proto3 JSON parser accepts).
std::string WrongJsonValue(const FieldDescriptor& field) {
  std::string single;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
    case FieldDescriptor::CPPTYPE_MESSAGE:
      single = "12";
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      single = "\"maybe\"";
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      single = "\"NOT_A_VALUE_OF_THIS_ENUM\"";
      break;
    default:
      single = "\"not a number\"";
  }
  return field.is_repeated() && !field.is_map() ? absl::StrCat("[", single, "]") : single;
}

// A query value of the wrong type for `field`; "" for a field every text fits (strings).
std::string WrongQueryValue(const FieldDescriptor& field) {
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) return "";
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return field.message_type()->full_name() == "google.protobuf.FieldMask" ? "" : "not-a-value";
  }
  return "not-a-value";
}

std::string SamplePath(const Route& route) {
  std::string path = route.path.OpenApiPath();
  for (const std::string& variable : route.path.VariableFieldPaths()) {
    absl::StrReplaceAll({{absl::StrCat("{", variable, "}"), "x1"}}, &path);
  }
  return path;
}

// Whether a violation names `field` (an element of a repeated field, "items[0]", names it too).
bool Names(std::string violated, const std::string& prefix, const FieldDescriptor& field) {
  violated = violated.substr(0, violated.find('['));
  return violated == prefix + field.name() || violated == prefix + field.json_name();
}

// For every annotated RPC (generated from the descriptors): an unknown field and a field of the
// wrong type are refused 400 naming the field — by the gateway, never forwarded (503).
TEST_F(GatewayHttpTest, EveryRouteRefusesUnknownAndMistypedFieldsNamingThem) {
  HttpClient client = Client();
  int checked_wrong_types = 0;
  for (const Route& route : gateway_->routes().routes()) {
    SCOPED_TRACE(absl::StrCat(route.http_method, " ", route.path.text()));
    const std::string path = SamplePath(route);
    const auto& input = *route.method->input_type();
    if (!route.body.empty()) {
      const bool whole = route.body == "*";
      const FieldDescriptor* body_field = whole ? nullptr : input.FindFieldByName(route.body);
      const std::string prefix = whole ? "" : route.body + ".";
      auto wrap = [&](const std::string& inner) {
        // A body field that is not a message is the value itself.
        return whole || body_field->message_type() != nullptr ? absl::StrCat("{", inner, "}")
                                                              : inner;
      };
      HttpAnswer unknown = client.Send(route.http_method, path, wrap(R"("zzUnknown": 1)"));
      EXPECT_EQ(unknown.status, 400) << unknown.body;
      EXPECT_EQ(ViolatedField(unknown.body), prefix + "zzUnknown") << unknown.body;

      const auto& type = whole ? input : *body_field->message_type();
      const FieldDescriptor& first = *type.field(0);
      HttpAnswer wrong =
          client.Send(route.http_method, path,
                      wrap(absl::StrCat("\"", first.json_name(), "\": ", WrongJsonValue(first))));
      EXPECT_EQ(wrong.status, 400) << wrong.body;
      EXPECT_TRUE(Names(ViolatedField(wrong.body), prefix, first)) << wrong.body;
      ++checked_wrong_types;
    } else {
      HttpAnswer unknown = client.Send(route.http_method, path + "?zzUnknown=1");
      EXPECT_EQ(unknown.status, 400) << unknown.body;
      EXPECT_EQ(ViolatedField(unknown.body), "zzUnknown") << unknown.body;
      for (const std::string& query : QueryParameterPaths(route)) {
        auto field = ResolveFieldPath(input, query);
        const std::string bad = WrongQueryValue(*field->leaf);
        if (bad.empty()) continue;
        HttpAnswer wrong = client.Send(route.http_method, absl::StrCat(path, "?", query, "=", bad));
        EXPECT_EQ(wrong.status, 400) << wrong.body;
        EXPECT_EQ(ViolatedField(wrong.body), field->proto_path) << wrong.body;
        ++checked_wrong_types;
        break;
      }
    }
    // Invalid UTF-8 in a body, or a body that is not JSON at all: 400 too.
    if (!route.body.empty()) {
      EXPECT_EQ(client.Send(route.http_method, path, "{\"a\":\"\xff\"}").status, 400);
      EXPECT_EQ(client.Send(route.http_method, path, "{not json").status, 400);
    }
  }
  EXPECT_GT(checked_wrong_types, 30);
}

}  // namespace
}  // namespace itsm::gateway
