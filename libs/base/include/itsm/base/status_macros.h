// Early-return helpers for absl::Status and absl::StatusOr (Abseil 20220623 does not ship them).
//
//   ITSM_RETURN_IF_ERROR(txn->Commit());
//   ITSM_ASSIGN_OR_RETURN(auto rows, txn->Query(sql, params));
#ifndef ITSM_BASE_STATUS_MACROS_H_
#define ITSM_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ITSM_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::absl::Status itsm_status_ = (expr);        \
    if (!itsm_status_.ok()) return itsm_status_; \
  } while (false)

#define ITSM_STATUS_CONCAT_INNER_(a, b) a##b
#define ITSM_STATUS_CONCAT_(a, b) ITSM_STATUS_CONCAT_INNER_(a, b)

#define ITSM_ASSIGN_OR_RETURN(lhs, expr) \
  ITSM_ASSIGN_OR_RETURN_IMPL_(ITSM_STATUS_CONCAT_(itsm_statusor_, __LINE__), lhs, expr)

#define ITSM_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return statusor.status();          \
  lhs = std::move(statusor).value()

#endif  // ITSM_BASE_STATUS_MACROS_H_
