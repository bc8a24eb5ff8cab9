#include "itsm/storage/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"

namespace itsm::storage {
namespace {

constexpr char kStorageErrorUrl[] = "type.itsm.dev/itsm.storage.Error";

absl::StatusCode CodeOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUniqueViolation:
      return absl::StatusCode::kAlreadyExists;
    case ErrorKind::kConflict:
      return absl::StatusCode::kAborted;
    case ErrorKind::kUnavailable:
      return absl::StatusCode::kUnavailable;
    case ErrorKind::kConstraintViolation:
    case ErrorKind::kInternal:
      return absl::StatusCode::kInternal;
  }
  return absl::StatusCode::kInternal;
}

}  // namespace

absl::Status MakeStorageError(ErrorKind kind, absl::string_view message, absl::string_view table) {
  absl::Status status = base::PrivateError(CodeOf(kind), message);
  // "<kind digit><table>": parsed back by StorageErrorOf only.
  status.SetPayload(kStorageErrorUrl, absl::Cord(absl::StrCat(static_cast<int>(kind), table)));
  return status;
}

std::optional<StorageError> StorageErrorOf(const absl::Status& status) {
  auto payload = status.GetPayload(kStorageErrorUrl);
  if (!payload) return std::nullopt;
  const std::string text(*payload);
  if (text.empty() || text[0] < '0' || text[0] > '4') return std::nullopt;
  return StorageError{static_cast<ErrorKind>(text[0] - '0'), text.substr(1)};
}

bool IsUniqueViolation(const absl::Status& status, absl::string_view table) {
  auto error = StorageErrorOf(status);
  return error && error->kind == ErrorKind::kUniqueViolation && error->table == table;
}

bool IsTransient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted ||
         status.code() == absl::StatusCode::kUnavailable;
}

bool IsRefusal(const absl::Status& status) {
  auto error = StorageErrorOf(status);
  return error && (error->kind == ErrorKind::kUniqueViolation ||
                   error->kind == ErrorKind::kConstraintViolation);
}

}  // namespace itsm::storage
