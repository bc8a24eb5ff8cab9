// libpq, opened when the first PostgreSQL database is, instead of linked into every binary.
// Linked, its dependencies (GnuTLS, p11-kit, LDAP, Kerberos, Nettle, GMP, ...) load and run
// their initialisers at every process start: about 3 MB of resident memory and a few
// milliseconds in each service, on an installation that stores everything in SQLite too
// (decision 171).
//
//   ITSM_ASSIGN_OR_RETURN(const Libpq* pq, LoadLibpq());
//   PGconn* conn = pq->PQconnectdb(conninfo.c_str());
#ifndef ITSM_STORAGE_SRC_LIBPQ_H_
#define ITSM_STORAGE_SRC_LIBPQ_H_

#include <libpq-fe.h>

#include "absl/status/statusor.h"

namespace itsm::storage::internal {

// The functions of libpq this library calls, named as libpq names them.
struct Libpq {
  decltype(&::PQconnectdb) PQconnectdb;
  decltype(&::PQstatus) PQstatus;
  decltype(&::PQerrorMessage) PQerrorMessage;
  decltype(&::PQsetNoticeProcessor) PQsetNoticeProcessor;
  decltype(&::PQreset) PQreset;
  decltype(&::PQfinish) PQfinish;
  decltype(&::PQexec) PQexec;
  decltype(&::PQexecParams) PQexecParams;
  decltype(&::PQprepare) PQprepare;
  decltype(&::PQexecPrepared) PQexecPrepared;
  decltype(&::PQresultStatus) PQresultStatus;
  decltype(&::PQresultErrorMessage) PQresultErrorMessage;
  decltype(&::PQresultErrorField) PQresultErrorField;
  decltype(&::PQclear) PQclear;
  decltype(&::PQntuples) PQntuples;
  decltype(&::PQnfields) PQnfields;
  decltype(&::PQfname) PQfname;
  decltype(&::PQftype) PQftype;
  decltype(&::PQgetvalue) PQgetvalue;
  decltype(&::PQgetlength) PQgetlength;
  decltype(&::PQgetisnull) PQgetisnull;
  decltype(&::PQcmdStatus) PQcmdStatus;
  decltype(&::PQcmdTuples) PQcmdTuples;
  decltype(&::PQunescapeBytea) PQunescapeBytea;
  decltype(&::PQfreemem) PQfreemem;
};

// libpq.so.5, opened once per process (thread-safe). FAILED_PRECONDITION naming the package
// when it is not installed or lacks a function.
absl::StatusOr<const Libpq*> LoadLibpq();

}  // namespace itsm::storage::internal

#endif  // ITSM_STORAGE_SRC_LIBPQ_H_
