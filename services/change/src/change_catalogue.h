// The data the change process runs on, apart from the changes themselves: the standard change
// templates, the maintenance and blackout windows and the change policy. Each is a versioned,
// audited record written through the record toolkit's unit of work, announced on the topic. The
// business services and CI classes a window or the policy names are checked with the CMDB
// before the write's transaction (ResolveWindow, ResolvePolicy), never while holding it.
#ifndef ITSM_SERVICES_CHANGE_CHANGE_CATALOGUE_H_
#define ITSM_SERVICES_CHANGE_CHANGE_CATALOGUE_H_

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/base/clock.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/storage/database.h"
#include "services/change/src/cmdb_view.h"

namespace itsm::change {

class ChangeCatalogue {
 public:
  // `cmdb` may be null: services and classes are then stored as given.
  ChangeCatalogue(const base::Clock& clock, CmdbView* cmdb) : clock_(clock), cmdb_(cmdb) {}

  absl::Status CreateTemplate(storage::Transaction& txn, const base::Caller& caller,
                              const v1::CreateChangeTemplateRequest& request,
                              v1::ChangeTemplate& out) const;
  absl::Status UpdateTemplate(storage::Transaction& txn, const base::Caller& caller,
                              const v1::UpdateChangeTemplateRequest& request,
                              v1::ChangeTemplate& out) const;
  absl::Status GetTemplate(storage::Transaction& txn, const v1::GetChangeTemplateRequest& request,
                           v1::ChangeTemplate& out) const;
  absl::Status ListTemplates(storage::Transaction& txn,
                             const v1::ListChangeTemplatesRequest& request,
                             v1::ListChangeTemplatesResponse& out) const;

  // A window's business services become the CMDB's ids (given by id or "class_name/name"); an
  // unknown service or CI class is refused naming it. `mask`: only the fields it names (an
  // update's), every field when null.
  absl::Status ResolveWindow(v1::ChangeWindow& window,
                             const google::protobuf::FieldMask* mask) const;
  absl::Status CreateWindow(storage::Transaction& txn, const base::Caller& caller,
                            const v1::CreateChangeWindowRequest& request,
                            v1::ChangeWindow& out) const;
  absl::Status UpdateWindow(storage::Transaction& txn, const base::Caller& caller,
                            const v1::UpdateChangeWindowRequest& request,
                            v1::ChangeWindow& out) const;
  absl::Status ListWindows(storage::Transaction& txn, const v1::ListChangeWindowsRequest& request,
                           v1::ListChangeWindowsResponse& out) const;

  absl::Status GetPolicy(storage::Transaction& txn, v1::ChangePolicy& out) const;
  // The business services each approval policy matches, as ResolveWindow's.
  absl::Status ResolvePolicy(v1::ChangePolicy& policy) const;
  absl::Status UpdatePolicy(storage::Transaction& txn, const base::Caller& caller,
                            const v1::UpdateChangePolicyRequest& request,
                            v1::ChangePolicy& out) const;

 private:
  const base::Clock& clock_;
  CmdbView* cmdb_;
};

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_CATALOGUE_H_
