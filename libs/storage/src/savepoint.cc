#include "itsm/storage/savepoint.h"

#include "itsm/base/status_macros.h"
#include "itsm/storage/errors.h"

namespace itsm::storage {

absl::Status RunRefusable(Transaction& txn, absl::string_view savepoint,
                          const std::function<absl::Status()>& unit, absl::Status* refused) {
  *refused = absl::OkStatus();
  ITSM_RETURN_IF_ERROR(txn.Savepoint(savepoint));
  absl::Status result = unit();
  // A transient error is the whole transaction's: the caller gives it up (rolled back whole).
  // So is a storage error that is no refusal of the unit's data (a statement or schema that is
  // wrong fails every unit alike: retried until repaired, never skipped one by one).
  // Nor is any failure of the unit's own but INVALID_ARGUMENT (a damaged row it read, a broken
  // invariant): those stall, visibly, rather than skip every event they would hit.
  const bool units_own =
      IsRefusal(result) || (!StorageErrorOf(result) && absl::IsInvalidArgument(result));
  if (!result.ok() && !units_own) return result;
  if (!result.ok()) ITSM_RETURN_IF_ERROR(txn.RollbackToSavepoint(savepoint));
  ITSM_RETURN_IF_ERROR(txn.ReleaseSavepoint(savepoint));
  *refused = std::move(result);
  return absl::OkStatus();
}

}  // namespace itsm::storage
