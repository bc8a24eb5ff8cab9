// libFuzzer target: an arbitrary HTTP request (method, target, headers, body) through routing
// and transcoding into a gRPC request message, then the request back out as JSON. Whatever the
// bytes, the gateway must answer with a message or a refusal — never crash, hang or read out of
// bounds (built with AddressSanitizer and UBSan; ctest label `fuzz`).
//
// Input layout: "<method> <target>\n<If-Match>\n<Idempotency-Key>\n<Content-Type>\n<body>".
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "itsm/auth/access_policy.h"
#include "services/gateway/src/error_answer.h"
#include "services/gateway/src/route_table.h"
#include "services/gateway/src/transcoder.h"

namespace {

const itsm::gateway::RouteTable& Routes() {
  static const auto* routes = new itsm::gateway::RouteTable(
      *itsm::gateway::RouteTable::Build(itsm::auth::LinkedServices("itsm.")));
  return *routes;
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
  return 0;
}
