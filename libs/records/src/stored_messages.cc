#include "itsm/records/stored_messages.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace itsm::records {

absl::Status AppendStoredMessages(int field_number, std::vector<std::string> stored,
                                  google::protobuf::Message& answer) {
  const google::protobuf::FieldDescriptor* field =
      answer.GetDescriptor()->FindFieldByNumber(field_number);
  if (field == nullptr || !field->is_repeated() ||
      field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
    return absl::InternalError(absl::StrCat(answer.GetDescriptor()->full_name(),
                                            " has no repeated message field ", field_number));
  }
  google::protobuf::UnknownFieldSet* unknown =
      answer.GetReflection()->MutableUnknownFields(&answer);
  for (std::string& record : stored) *unknown->AddLengthDelimited(field_number) = std::move(record);
  return absl::OkStatus();
}

}  // namespace itsm::records
