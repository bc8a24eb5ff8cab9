#include "services/supplier/src/contract_repository.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/enum_set.h"
#include "itsm/records/page_start.h"
#include "itsm/records/record_change.h"
#include "services/supplier/src/contract_dates.h"
#include "services/supplier/src/supplier_repository.h"

namespace itsm::supplier {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

// In force: signed and running, or ended after running. A TERMINATED contract keeps what it
// was (the column's earlier value): ended early, it was; cancelled as a draft, it never was.
bool InForce(v1::ContractState state) {
  return state == v1::CONTRACT_STATE_ACTIVE || state == v1::CONTRACT_STATE_NOTICE_GIVEN ||
         state == v1::CONTRACT_STATE_EXPIRED;
}

absl::StatusOr<v1::Contract> Decode(const storage::Value& data) {
  v1::Contract contract;
  if (!contract.ParseFromString(data.AsString())) {
    return absl::DataLossError("stored contract does not parse");
  }
  return contract;
}

absl::StatusOr<std::vector<v1::Contract>> DecodeAll(const storage::ResultSet& rows, size_t column,
                                                    size_t limit) {
  std::vector<v1::Contract> out;
  for (size_t i = 0; i < std::min(rows.size(), limit); ++i) {
    ITSM_ASSIGN_OR_RETURN(v1::Contract c, Decode(rows.row(i)[column]));
    out.push_back(std::move(c));
  }
  return out;
}

absl::Status WriteLists(storage::Transaction& txn, const v1::Contract& c) {
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM contract_services WHERE contract_id = $1", {c.id()}).status());
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM contract_uc_definitions WHERE contract_id = $1", {c.id()}).status());
  for (const auto& service : c.services()) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("INSERT INTO contract_services(contract_id, service) VALUES ($1, $2)",
                    {c.id(), service})
            .status());
  }
  for (const auto& definition : c.uc_definition_ids()) {
    ITSM_RETURN_IF_ERROR(txn.Execute("INSERT INTO contract_uc_definitions(contract_id,"
                                     " definition_id, supplier_id) VALUES ($1, $2, $3)",
                                     {c.id(), definition, c.supplier_id()})
                             .status());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Contract> ContractRepository::Get(storage::Transaction& txn,
                                                     const std::string& id_or_number) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM contracts WHERE id = $1 OR number = $1", {id_or_number}));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("id: no contract \"", id_or_number, "\""));
  }
  return Decode(rows.row(0)[0]);
}

absl::Status ContractRepository::Insert(storage::Transaction& txn, v1::Contract& c) {
  ITSM_ASSIGN_OR_RETURN(const int64_t seq, SupplierRepository::NextNumber(txn, "contract"));
  c.set_number(absl::StrFormat("CON%07d", seq));
  ITSM_RETURN_IF_ERROR(
      txn.Execute("INSERT INTO contracts(id, seq, number, supplier_id, state, type, end_date,"
                  " version, data, was_in_force) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                  {c.id(), seq, c.number(), c.supplier_id(), static_cast<int>(c.state()),
                   static_cast<int>(c.type()), c.end_date(), c.version(),
                   storage::Bytes{c.SerializeAsString()}, InForce(c.state()) ? 1 : 0})
          .status());
  return WriteLists(txn, c);
}

absl::Status ContractRepository::Update(storage::Transaction& txn, const v1::Contract& c,
                                        int64_t expected_version) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute("UPDATE contracts SET state = $1, type = $2, end_date = $3, version = $4,"
                  " data = $5, was_in_force = CASE WHEN $8 = 1 THEN 1 ELSE was_in_force END"
                  " WHERE id = $6 AND version = $7",
                  {static_cast<int>(c.state()), static_cast<int>(c.type()), c.end_date(),
                   c.version(), storage::Bytes{c.SerializeAsString()}, c.id(), expected_version,
                   InForce(c.state()) ? 1 : 0}));
  if (changed != 1) {
    return records::ChangedConcurrently(absl::StrCat("contract ", c.number()));
  }
  return WriteLists(txn, c);
}

absl::Status ContractRepository::AppendAudit(storage::Transaction& txn,
                                             const std::string& record_id,
                                             const common::v1::AuditEntry& entry) {
  return records::AuditTrail::Append(txn, record_id, entry);
}

absl::StatusOr<ContractPage> ContractRepository::List(storage::Transaction& txn,
                                                      const v1::ListContractsRequest& request,
                                                      const std::string& supplier_id) {
  ITSM_ASSIGN_OR_RETURN(
      records::PageStart start,
      records::StartPage(
          "itsm.supplier.v1.SupplierService/ListContracts", request, request.page(),
          {.default_size = kDefaultPageSize, .max_size = kMaxPageSize, .position_parts = 1}));
  int64_t after_seq = 0;
  if (!start.after.empty()) {
    ITSM_ASSIGN_OR_RETURN(after_seq, records::CursorInt(start.after[0]));
  }
  const int page_size = start.size;
  ITSM_ASSIGN_OR_RETURN(
      const int64_t state_mask,
      records::EnumSetMask("states", *v1::ContractState_descriptor(), request.states()));
  if (!v1::ContractType_IsValid(request.type())) return base::FieldError("type", "unknown value");
  if (!request.ends_before().empty()) {
    ITSM_RETURN_IF_ERROR(ParseDate("ends_before", request.ends_before()).status());
  }
  // Dates as YYYY-MM-DD compare as text.
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT seq, data FROM contracts"
                " WHERE ($1 = '' OR supplier_id = $1)"
                " AND ($2 = 0 OR (($2 >> state) & 1) = 1)"
                " AND ($3 = 0 OR type = $3)"
                " AND ($4 = '' OR EXISTS (SELECT 1 FROM contract_services s"
                "      WHERE s.contract_id = contracts.id AND s.service = $4))"
                " AND ($5 = '' OR end_date <= $5)"
                " AND seq > $6 ORDER BY seq LIMIT $7",
                {supplier_id, state_mask, static_cast<int>(request.type()), request.service(),
                 request.ends_before(), after_seq, page_size + 1}));
  ContractPage page;
  ITSM_ASSIGN_OR_RETURN(page.contracts,
                        DecodeAll(rows, 1, records::RowsOnPage(rows, 1, page_size)));
  if (rows.size() > page.contracts.size()) {
    page.next_page_token = records::EncodePageCursor(
        start.scope, {absl::StrCat(rows.row(page.contracts.size() - 1)[0].AsInt())});
  }
  return page;
}

absl::StatusOr<std::vector<v1::Contract>> ContractRepository::CostBearing(
    storage::Transaction& txn, const std::string& service) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM contracts WHERE was_in_force = 1 AND EXISTS"
                " (SELECT 1 FROM contract_services s WHERE s.contract_id = contracts.id"
                "  AND ($1 = '' OR s.service = $1)) ORDER BY seq",
                {service}));
  return DecodeAll(rows, 0, rows.size());
}

absl::StatusOr<std::vector<std::pair<int, int64_t>>> ContractRepository::CountByState(
    storage::Transaction& txn) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT state, COUNT(*) FROM contracts GROUP BY state"));
  std::vector<std::pair<int, int64_t>> out;
  for (const auto& row : rows.rows()) {
    out.emplace_back(static_cast<int>(row[0].AsInt()), row[1].AsInt());
  }
  return out;
}

}  // namespace itsm::supplier
