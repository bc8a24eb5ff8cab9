// Statement parameters that move what can be moved.
//
// A braced list ({id, seq, Bytes{record.SerializeAsString()}}) builds each Value and then copies
// every one into the vector, because the elements of a std::initializer_list cannot be moved
// from: a serialized record or an event's payload is copied twice, with an allocation each time.
// ParamsOf moves rvalues and copies lvalues once. The write path uses it for the statements that
// carry records and payloads (a create's row, its audit entry, its outbox row); elsewhere a
// braced list reads better and costs nothing that matters.
//
//   txn.Execute("INSERT INTO t(id, data) VALUES ($1, $2)",
//               storage::ParamsOf(record.id(), storage::Bytes{record.SerializeAsString()}));
#ifndef ITSM_STORAGE_PARAMS_OF_H_
#define ITSM_STORAGE_PARAMS_OF_H_

#include <utility>

#include "itsm/storage/value.h"

namespace itsm::storage {

template <typename... Args>
Params ParamsOf(Args&&... args) {
  Params params;
  params.reserve(sizeof...(Args));
  (params.emplace_back(std::forward<Args>(args)), ...);
  return params;
}

}  // namespace itsm::storage

#endif  // ITSM_STORAGE_PARAMS_OF_H_
