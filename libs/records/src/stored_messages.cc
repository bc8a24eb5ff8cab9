#include "itsm/records/stored_messages.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/unknown_field_set.h"

namespace itsm::records {
namespace {

// Whether `record` is a well-formed sequence of fields at its top level: every tag valid, every
// length within the record. That is what damaged bytes most often break, and a client might not
// say so (gRPC 1.51's C++ callback client reports OK with a half-parsed message when a unary
// answer does not parse; its blocking stub reports UNIMPLEMENTED). Damage inside a field's own
// bytes (a string no longer valid UTF-8, a nested timestamp) passes, where a parse refused it.
bool WellFramed(const std::string& record) {
  const int size = static_cast<int>(record.size());
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(record.data()), size);
  uint64_t varint = 0;
  uint64_t fixed64 = 0;
  uint32_t fixed32 = 0;
  uint32_t length = 0;
  while (in.CurrentPosition() < size) {
    const uint32_t tag = in.ReadTag();
    if ((tag >> 3) == 0) return false;
    switch (tag & 7) {
      case 0:
        if (!in.ReadVarint64(&varint)) return false;
        break;
      case 1:
        if (!in.ReadLittleEndian64(&fixed64)) return false;
        break;
      case 2:
        if (!in.ReadVarint32(&length) || !in.Skip(static_cast<int>(length))) return false;
        break;
      case 5:
        if (!in.ReadLittleEndian32(&fixed32)) return false;
        break;
      default:  // groups (absent from proto3), and wire types that do not exist
        return false;
    }
  }
  return true;
}

}  // namespace

absl::Status AppendStoredMessages(int field_number, std::vector<std::string> stored,
                                  google::protobuf::Message& answer) {
  const google::protobuf::FieldDescriptor* field =
      answer.GetDescriptor()->FindFieldByNumber(field_number);
  if (field == nullptr || !field->is_repeated() ||
      field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
    return absl::InternalError(absl::StrCat(answer.GetDescriptor()->full_name(),
                                            " has no repeated message field ", field_number));
  }
  // All checked before any is appended: a damaged record refuses the page and changes nothing.
  for (size_t i = 0; i < stored.size(); ++i) {
    if (!WellFramed(stored[i])) {
      return absl::DataLossError(absl::StrCat("stored record ", i + 1, " of ", stored.size(),
                                              " does not parse (",
                                              field->message_type()->full_name(), ")"));
    }
  }
  google::protobuf::UnknownFieldSet* unknown =
      answer.GetReflection()->MutableUnknownFields(&answer);
  for (std::string& record : stored) *unknown->AddLengthDelimited(field_number) = std::move(record);
  return absl::OkStatus();
}

absl::Status SetStoredMessage(int field_number, std::string stored,
                              google::protobuf::Message& answer) {
  const google::protobuf::FieldDescriptor* field =
      answer.GetDescriptor()->FindFieldByNumber(field_number);
  if (field == nullptr || field->is_repeated() ||
      field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE ||
      answer.GetReflection()->HasField(answer, field)) {
    return absl::InternalError(absl::StrCat(answer.GetDescriptor()->full_name(),
                                            " has no unset message field ", field_number));
  }
  if (!WellFramed(stored)) {
    return absl::DataLossError(
        absl::StrCat("stored record does not parse (", field->message_type()->full_name(), ")"));
  }
  *answer.GetReflection()->MutableUnknownFields(&answer)->AddLengthDelimited(field_number) =
      std::move(stored);
  return absl::OkStatus();
}

}  // namespace itsm::records
