// The configuration service's first load of its impact graph, in two stages that overlap: one
// thread reads pages of rows from storage (SQL, decoding, strings) while the calling thread puts
// the page before into the graph (id packing, indexes, adjacency). On a 2-core machine a cold
// start of 100,000 CIs and 500,000 relationships takes about half the time of doing both in
// turn (docs/benchmarks.md).
#ifndef ITSM_SERVICES_CONFIGURATION_GRAPH_LOADER_H_
#define ITSM_SERVICES_CONFIGURATION_GRAPH_LOADER_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "itsm/storage/database.h"
#include "services/configuration/src/config_repository.h"

namespace itsm::config {

// Calls `apply` on the calling thread with every page ScanGraph(txn, 0, upto) reads, in order,
// while the next pages are read on another thread (at most two waiting). `apply` may move rows'
// strings out; what it leaves is written over by later pages. `txn` is used by that thread only,
// and only until this returns. The first read error is returned; the pages applied before it
// stay applied.
absl::Status LoadGraphOverlapped(storage::Transaction& txn, int64_t upto,
                                 const std::function<void(GraphPage&)>& apply);

}  // namespace itsm::config

#endif  // ITSM_SERVICES_CONFIGURATION_GRAPH_LOADER_H_
