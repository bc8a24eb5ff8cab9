#include "services/gateway/src/session_answer.h"

#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/common/v1/access.pb.h"

namespace itsm::gateway {

std::string SessionJson(const auth::Identity& identity) {
  google::protobuf::Struct session;
  auto& fields = *session.mutable_fields();
  fields["subject"].set_string_value(identity.subject);
  google::protobuf::ListValue* roles = fields["roles"].mutable_list_value();
  for (auth::Role role : identity.roles.Roles()) {
    roles->add_values()->set_string_value(common::v1::Role_Name(role));
  }
  fields["tenant"].set_string_value(identity.tenant);
  fields["issuer"].set_string_value(identity.issuer);
  if (identity.expires != absl::InfiniteFuture()) {
    fields["expireTime"].set_string_value(
        absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", identity.expires, absl::UTCTimeZone()));
  }
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(session, &json);
  return json;
}

}  // namespace itsm::gateway
