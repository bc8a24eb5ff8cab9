// libFuzzer target: an arbitrary HTTP request (method, target, headers, body) through routing
// and transcoding into a gRPC request message, then the request back out as JSON. Whatever the
// bytes, the gateway must answer with a message or a refusal — never crash, hang or read out of
// bounds (built with AddressSanitizer and UBSan; ctest label `fuzz`).
//
// The body is also read, as the route's whole request, by the gateway's direct JSON reader and by
// protobuf's parser: when the reader accepts it, both must make the same message (a differing
// reading aborts the run, so the fuzzer reports it as a crash).
//
// Input layout: "<method> <target>\n<If-Match>\n<Idempotency-Key>\n<Content-Type>\n<body>".
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "itsm/auth/access_policy.h"
#include "services/gateway/src/error_answer.h"
#include "services/gateway/src/proto_json_reader.h"
#include "services/gateway/src/route_table.h"
#include "services/gateway/src/transcoder.h"

namespace {

const itsm::gateway::RouteTable& Routes() {
  static const auto* routes = new itsm::gateway::RouteTable(
      *itsm::gateway::RouteTable::Build(itsm::auth::LinkedServices("itsm.")));
  return *routes;
}

void ReadAsProtobufDoes(const google::protobuf::Descriptor& type, absl::string_view body) {
  const google::protobuf::Message& prototype =
      *google::protobuf::MessageFactory::generated_factory()->GetPrototype(&type);
  std::unique_ptr<google::protobuf::Message> ours(prototype.New());
  if (!itsm::gateway::ReadProtoJson(body, *ours)) return;
  std::unique_ptr<google::protobuf::Message> reference(prototype.New());
  if (!google::protobuf::util::JsonStringToMessage(
           google::protobuf::StringPiece(body.data(), body.size()), reference.get())
           .ok() ||
      !google::protobuf::util::MessageDifferencer::Equals(*ours, *reference)) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace itsm::gateway;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> parts = absl::StrSplit(input, absl::MaxSplits('\n', 4));
  parts.resize(5);
  const absl::string_view request_line = parts[0];
  const size_t space = request_line.find(' ');
  const absl::string_view method = request_line.substr(0, space);
  const absl::string_view target =
      space == absl::string_view::npos ? "" : request_line.substr(space + 1);
  const size_t question = target.find('?');
  RouteLookup found = Routes().Find(method, target.substr(0, question));
  if (found.route == nullptr) return 0;
  HttpInput http{.query = question == absl::string_view::npos ? "" : target.substr(question + 1),
                 .body = parts[4],
                 .content_type = parts[3],
                 .if_match = parts[1],
                 .idempotency_key = parts[2]};
  absl::StatusOr<TranscodedRequest> request = TranscodeRequest(*found.route, found.bindings, http);
  if (request.ok()) {
    (void)ResponseJson(*request->message);
    std::string bytes;
    (void)request->message->SerializeToString(&bytes);
  } else {
    (void)GatewayError(request.status(), "fuzz");
  }
  ReadAsProtobufDoes(*found.route->method->input_type(), parts[4]);
  return 0;
}
