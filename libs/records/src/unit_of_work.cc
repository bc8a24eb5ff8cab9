#include "itsm/records/unit_of_work.h"

#include "itsm/base/message_fingerprint.h"

namespace itsm::records {

IdempotentCall IdempotentCallOf(std::string method, const google::protobuf::Message& request) {
  IdempotentCall call{std::move(method), "", ""};
  const auto* field = request.GetDescriptor()->FindFieldByName("idempotency_key");
  if (field == nullptr || field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING ||
      field->is_repeated()) {
    return call;
  }
  call.key = request.GetReflection()->GetString(request, field);
  // Nothing to compare without a key: the fingerprint is computed only when one is given.
  if (!call.key.empty()) call.fingerprint = base::MessageFingerprint(request);
  return call;
}

}  // namespace itsm::records
