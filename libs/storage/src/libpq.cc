#include "src/libpq.h"

#include <dlfcn.h>

#include "absl/strings/str_cat.h"

namespace itsm::storage::internal {
namespace {

constexpr char kLibrary[] = "libpq.so.5";

absl::StatusOr<Libpq> Open() {
  // Never closed: connections live until the process ends. RTLD_LOCAL keeps its symbols (and
  // its dependencies') out of the way of everything else the process loads.
  void* handle = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return absl::FailedPreconditionError(
        absl::StrCat("PostgreSQL needs the client library ", kLibrary,
                     " (Debian package libpq5): ", why != nullptr ? why : "not found"));
  }
  Libpq pq;
  absl::Status missing;
  const auto bind = [&](auto& slot, const char* name) {
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(dlsym(handle, name));
    if (slot == nullptr && missing.ok()) {
      missing = absl::FailedPreconditionError(absl::StrCat(kLibrary, " lacks ", name));
    }
  };
  bind(pq.PQconnectdb, "PQconnectdb");
  bind(pq.PQstatus, "PQstatus");
  bind(pq.PQerrorMessage, "PQerrorMessage");
  bind(pq.PQsetNoticeProcessor, "PQsetNoticeProcessor");
  bind(pq.PQreset, "PQreset");
  bind(pq.PQfinish, "PQfinish");
  bind(pq.PQexec, "PQexec");
  bind(pq.PQexecParams, "PQexecParams");
  bind(pq.PQprepare, "PQprepare");
  bind(pq.PQexecPrepared, "PQexecPrepared");
  bind(pq.PQresultStatus, "PQresultStatus");
  bind(pq.PQresultErrorMessage, "PQresultErrorMessage");
  bind(pq.PQresultErrorField, "PQresultErrorField");
  bind(pq.PQclear, "PQclear");
  bind(pq.PQntuples, "PQntuples");
  bind(pq.PQnfields, "PQnfields");
  bind(pq.PQfname, "PQfname");
  bind(pq.PQftype, "PQftype");
  bind(pq.PQgetvalue, "PQgetvalue");
  bind(pq.PQgetlength, "PQgetlength");
  bind(pq.PQgetisnull, "PQgetisnull");
  bind(pq.PQcmdStatus, "PQcmdStatus");
  bind(pq.PQcmdTuples, "PQcmdTuples");
  bind(pq.PQunescapeBytea, "PQunescapeBytea");
  bind(pq.PQfreemem, "PQfreemem");
  if (!missing.ok()) return missing;
  return pq;
}

}  // namespace

absl::StatusOr<const Libpq*> LoadLibpq() {
  static const absl::StatusOr<Libpq>* const loaded = new absl::StatusOr<Libpq>(Open());
  if (!loaded->ok()) return loaded->status();
  return &**loaded;
}

}  // namespace itsm::storage::internal
