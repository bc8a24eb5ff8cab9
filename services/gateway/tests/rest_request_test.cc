// RestRequestFor is the inverse of TranscodeRequest: for every route of the suite (generated
// from the descriptors), a request with every field it can carry filled in goes to HTTP and
// back, through the gateway's own transcoding, unchanged.
#include "services/gateway/src/rest_request.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "itsm/auth/access_policy.h"
#include "itsm/base/error_detail.h"
#include "itsm/incident/v1/incident.pb.h"
#include "services/gateway/src/transcoder.h"

namespace itsm::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Fills every field that the query string can carry (and, with `in_body`, every field), with
// values that need escaping: slashes, spaces, '&', '=', '%', non-ASCII.
void Fill(Message& message, bool in_body, int depth) {
  const Descriptor* type = message.GetDescriptor();
  const auto* r = message.GetReflection();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    if (f->is_map()) continue;
    if (f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !in_body) continue;
    const int copies = f->is_repeated() ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING: {
          std::string text = f->type() == FieldDescriptor::TYPE_BYTES
                                 ? std::string("\x00\xff bytes", 8)
                                 : absl::StrCat("a/b c&d=e%f ü ", f->name(), c);
          f->is_repeated() ? r->AddString(&message, f, text) : r->SetString(&message, f, text);
          break;
        }
        case FieldDescriptor::CPPTYPE_INT32:
          f->is_repeated() ? r->AddInt32(&message, f, 7 + c) : r->SetInt32(&message, f, -7);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          f->is_repeated() ? r->AddInt64(&message, f, 9007199254740993 + c)
                           : r->SetInt64(&message, f, 9007199254740993);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          f->is_repeated() ? r->AddUInt32(&message, f, 3) : r->SetUInt32(&message, f, 3);
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          f->is_repeated() ? r->AddUInt64(&message, f, 5) : r->SetUInt64(&message, f, 5);
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
          f->is_repeated() ? r->AddDouble(&message, f, 1.25) : r->SetDouble(&message, f, 1234567.5);
          break;
        case FieldDescriptor::CPPTYPE_FLOAT:
          f->is_repeated() ? r->AddFloat(&message, f, 0.5f) : r->SetFloat(&message, f, 2.5f);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          f->is_repeated() ? r->AddBool(&message, f, true) : r->SetBool(&message, f, true);
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          const auto* last = f->enum_type()->value(f->enum_type()->value_count() - 1);
          f->is_repeated() ? r->AddEnum(&message, f, last) : r->SetEnum(&message, f, last);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE: {
          const std::string& name = f->message_type()->full_name();
          if (name == "google.protobuf.Timestamp") {
            Message* t =
                f->is_repeated() ? r->AddMessage(&message, f) : r->MutableMessage(&message, f);
            t->GetReflection()->SetInt64(t, t->GetDescriptor()->FindFieldByName("seconds"),
                                         1714521600);
          } else if (name == "google.protobuf.Duration") {
            Message* d =
                f->is_repeated() ? r->AddMessage(&message, f) : r->MutableMessage(&message, f);
            d->GetReflection()->SetInt64(d, d->GetDescriptor()->FindFieldByName("seconds"), 90);
          } else if (absl::StartsWith(name, "google.protobuf.") || depth >= 3) {
            continue;  // wrappers, Struct, FieldMask: none in a query-string request of the suite
          } else {
            Fill(f->is_repeated() ? *r->AddMessage(&message, f) : *r->MutableMessage(&message, f),
                 in_body, depth + 1);
          }
          break;
        }
      }
      if (f->containing_oneof() != nullptr) break;
    }
  }
}

TEST(RestRequestFor, EveryRouteGoesToHttpAndBackUnchanged) {
  auto routes = RouteTable::Build(auth::LinkedServices("itsm."));
  ASSERT_TRUE(routes.ok()) << routes.status();
  int checked = 0;
  for (const Route& route : routes->routes()) {
    std::unique_ptr<Message> request(google::protobuf::MessageFactory::generated_factory()
                                         ->GetPrototype(route.method->input_type())
                                         ->New());
    Fill(*request, /*in_body=*/route.body == "*", 0);
    if (!route.body.empty() && route.body != "*") {
      // The body field may hold anything, the rest only what a query string can.
      const FieldDescriptor* body = route.method->input_type()->FindFieldByName(route.body);
      ASSERT_NE(body, nullptr) << route.method->full_name();
      Fill(*request->GetReflection()->MutableMessage(request.get(), body), true, 1);
    }
    absl::StatusOr<RestRequest> rest = RestRequestFor(route, *request);
    ASSERT_TRUE(rest.ok()) << route.method->full_name() << ": " << rest.status();
    EXPECT_EQ(rest->http_method, route.http_method);

    const size_t question = rest->target.find('?');
    const std::string path = rest->target.substr(0, question);
    const std::string query =
        question == std::string::npos ? "" : rest->target.substr(question + 1);
    std::optional<std::vector<PathBinding>> bindings = route.path.Match(path);
    ASSERT_TRUE(bindings.has_value()) << route.method->full_name() << ": " << path;
    absl::StatusOr<TranscodedRequest> back = TranscodeRequest(
        route, *bindings, {.query = query, .body = rest->body, .content_type = "application/json"});
    ASSERT_TRUE(back.ok()) << route.method->full_name() << " " << rest->target << " " << rest->body
                           << ": " << back.status();
    std::string differences;
    google::protobuf::util::MessageDifferencer differ;
    differ.ReportDifferencesToString(&differences);
    EXPECT_TRUE(differ.Compare(*request, *back->message))
        << route.method->full_name() << " " << rest->target << "\n"
        << differences;
    ++checked;
  }
  EXPECT_GT(checked, 50);
}

TEST(RestRequestFor, NamesThePathFieldThatIsMissing) {
  auto routes = RouteTable::Build(auth::LinkedServices("itsm."));
  ASSERT_TRUE(routes.ok());
  const Route* route =
      routes->PrimaryRouteOf(*google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          "itsm.incident.v1.IncidentService.GetIncident"));
  ASSERT_NE(route, nullptr);
  incident::v1::GetIncidentRequest request;
  absl::StatusOr<RestRequest> rest = RestRequestFor(*route, request);
  EXPECT_EQ(base::ErrorField(rest.status()).value_or(""), "id") << rest.status();
  request.set_id("INC 1/2");
  rest = RestRequestFor(*route, request);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->target, "/v1/incidents/INC%201%2F2");
  EXPECT_EQ(rest->body, "");
}

}  // namespace
}  // namespace itsm::gateway
