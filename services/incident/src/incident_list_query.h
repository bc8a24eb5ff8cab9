#ifndef ITSM_SERVICES_INCIDENT_SRC_INCIDENT_LIST_QUERY_H_
#define ITSM_SERVICES_INCIDENT_SRC_INCIDENT_LIST_QUERY_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/storage/database.h"

namespace itsm::incident {

// A page of ListIncidents as a statement and its parameters. The parameters are always the same
// seventeen, in this order, whatever the request sets:
//   $1 state mask, $2 priority mask, $3 assignment group, $4 assignee, $5 service, $6 title
//   pattern, $7 $8 created range, $9 $10 updated range, $11 configuration item, $12 parent,
//   $13 problem, $14 $15 the cursor's key and seq, $16 caller, $17 the row limit (one more than
//   the page, to tell that another page follows).
struct ListQuery {
  const std::string* sql;
  storage::Params params;
  std::string scope;  // the scope of the page's tokens (records::PageScope)
  int page_size;
};

// The statements a process has prepared for the filter shapes it has seen: the first
// `max_shapes` combinations of set filters get a statement each; the others share the open form,
// which names every filter, so that no client can make a connection prepare thousands of
// statements.
class ListStatements {
 public:
  explicit ListStatements(int max_shapes) : max_shapes_(max_shapes) {}
  ListStatements(const ListStatements&) = delete;
  ListStatements& operator=(const ListStatements&) = delete;

  // The process's own, with room for 64 shapes.
  static ListStatements& Shared();

  // `shape` has a bit for each filter the statement names; the text lives as long as this.
  const std::string& For(v1::IncidentOrder order, uint32_t shape);

 private:
  const int max_shapes_;
  absl::Mutex mu_;
  absl::node_hash_map<uint64_t, std::string> statements_ ABSL_GUARDED_BY(mu_);
};

// The query for `request`, or INVALID_ARGUMENT naming the field that cannot be read (page size,
// order, token, a state or priority).
//
// On SQLite the statement names only the filters the request sets (decision 220): SQLite plans a
// statement once for every value, so a filter written "$n = '' OR column = $n" can never use an
// index, and each such filter is evaluated on every row the walk reads. A set assignment group,
// assignee or problem is an equality on its index in creation order; in the other orders, and
// beside a caller's own list, the walk keeps to the ordering's (or the caller's) index, because
// an equality's index would make SQLite sort every matching row for one page. PostgreSQL always
// gets the open form: it plans with the values (decision 137), and reads the sets of states and
// priorities as equalities (decision 222).
//
// `updated_up_to`: rows updated later are left out, whatever the request's own range (a
// synchroniser's read waits for the writes before it and stops there: SettledWrites). Not part
// of the page tokens' scope; with it the statement is the open form.
absl::StatusOr<ListQuery> ListIncidentsQuery(const v1::ListIncidentsRequest& request,
                                             storage::Dialect dialect,
                                             absl::Time updated_up_to = absl::InfiniteFuture(),
                                             ListStatements& statements = ListStatements::Shared());

// The open form for an ordering (never UNSPECIFIED), with or without a caller's filter.
const std::string& OpenListIncidentsSql(v1::IncidentOrder order, bool by_caller,
                                        storage::Dialect dialect);

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_SRC_INCIDENT_LIST_QUERY_H_
