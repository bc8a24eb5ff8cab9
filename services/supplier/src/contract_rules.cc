#include "services/supplier/src/contract_rules.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/field_mask.h"
#include "itsm/records/record_diff.h"
#include "itsm/records/versioned_change.h"
#include "itsm/supplier/v1/events.pb.h"
#include "services/supplier/src/contract_dates.h"
#include "services/supplier/src/contract_deadlines.h"
#include "services/supplier/src/state_machine.h"
#include "services/supplier/src/supplier_rules.h"

namespace itsm::supplier {
namespace {

constexpr int kMaxRenewalsToCatchUp = 1000;

// The actor of the changes a deadline makes.
constexpr char kDeadlineActor[] = "service:supplier";

const records::UpdatableFields& UpdatableContractFields() {
  static const records::UpdatableFields kFields{
      .paths = {"title", "type", "parties", "start_date", "end_date", "time_zone", "value",
                "payment_schedule", "notice_period", "renewal_kind", "renewal_term", "documents",
                "services", "configuration_item_ids", "uc_definition_ids", "description"},
      .elsewhere = {{"state", "TransitionContract"},
                    {"termination_reason", "TransitionContract"},
                    {"notice_time", "TransitionContract"},
                    {"termination_time", "TransitionContract"}}};
  return kFields;
}

template <typename Event>
std::shared_ptr<Event> NewEvent(const v1::Contract& after, const std::vector<std::string>& fields) {
  auto e = std::make_shared<Event>();
  *e->mutable_contract() = after;
  for (const auto& f : fields) e->add_changed_fields(f);
  return e;
}

// ISO 4217's currency codes in use (and the two withdrawn since 2023, HRK and SLL, which older
// contracts carry), sorted for binary_search. Precious metals, bond units and the test and
// "no currency" codes are not a contract's money. A typo (EUT) would otherwise make a currency
// of its own in the cost reports, never adding up with the budget's.
constexpr absl::string_view kCurrencies[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR",
    "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW",
    "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
    "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG",
    "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE",
    "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP",
    "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XDR", "XOF", "XPF", "YER", "ZAR", "ZMW",
    "ZWG", "ZWL",
};

}  // namespace

absl::Status CheckMoney(const std::string& field, const v1::Money& money) {
  if (money.minor_units() < 0) {
    return base::FieldError(field + ".minor_units", "must not be negative");
  }
  if (money.minor_units() > kMaxMinorUnits) {
    return base::FieldError(field + ".minor_units",
                            absl::StrCat("at most ", kMaxMinorUnits, " (10^15)"));
  }
  if (money.currency().empty() && money.minor_units() == 0) return absl::OkStatus();
  if (!std::binary_search(std::begin(kCurrencies), std::end(kCurrencies), money.currency())) {
    return base::FieldError(field + ".currency", "an ISO 4217 code such as EUR or USD");
  }
  return absl::OkStatus();
}

absl::Status ContractRules::CheckContract(const v1::Contract& c) {
  ITSM_RETURN_IF_ERROR(CheckId(c.supplier_id(), "contract.supplier_id"));
  if (base::IsBlank(c.title())) {
    return base::FieldError("contract.title", "required");
  }
  if (c.type() == v1::CONTRACT_TYPE_UNSPECIFIED) {
    return base::FieldError("contract.type", "required: SUPPORT, LICENCE, OUTSOURCING, ...");
  }
  if (!v1::ContractType_IsValid(c.type())) {
    return base::FieldError("contract.type",
                            absl::StrCat("unknown value ", static_cast<int>(c.type()),
                                         " (SUPPORT, LICENCE, OUTSOURCING, ...)"));
  }
  ITSM_ASSIGN_OR_RETURN(absl::CivilDay start, ParseDate("contract.start_date", c.start_date()));
  ITSM_ASSIGN_OR_RETURN(absl::CivilDay end, ParseDate("contract.end_date", c.end_date()));
  if (end < start) return base::FieldError("contract.end_date", "before start_date");
  ITSM_RETURN_IF_ERROR(LoadZone("contract.time_zone", c.time_zone()).status());
  ITSM_RETURN_IF_ERROR(CheckMoney("contract.value", c.value()));
  if (!v1::PaymentSchedule_IsValid(c.payment_schedule())) {
    return base::FieldError("contract.payment_schedule", "unknown value");
  }
  ITSM_RETURN_IF_ERROR(CheckPeriod("contract.notice_period", c.notice_period()));
  ITSM_RETURN_IF_ERROR(CheckPeriod("contract.renewal_term", c.renewal_term()));
  if (!v1::RenewalKind_IsValid(c.renewal_kind())) {
    return base::FieldError("contract.renewal_kind", "unknown value");
  }
  if (c.renewal_kind() == v1::RENEWAL_KIND_AUTOMATIC && IsZero(c.renewal_term())) {
    return base::FieldError("contract.renewal_term", "required for AUTOMATIC renewal");
  }
  // Notice of a tacitly renewing contract is given within a term: a notice period as long as
  // the term (or the renewal term) would put the deadline before the term began, and the
  // contract could never be ended by notice.
  if (c.renewal_kind() == v1::RENEWAL_KIND_AUTOMATIC && !IsZero(c.notice_period())) {
    if (SubtractPeriod(end + 1, c.notice_period()) <= start) {
      return base::FieldError("contract.notice_period",
                              absl::StrCat("the notice deadline would fall on or before "
                                           "start_date ",
                                           FormatDate(start), ": shorter than the term, please"));
    }
    // Renewed terms differ in length (a month is February or July; a year may be a leap year):
    // every one of the next 48 renewals, as they will be computed, must leave room for notice,
    // not only the next (30 days' notice of a monthly contract fits in July, not in February).
    absl::CivilDay term_end = end;
    for (int renewal = 0; renewal < 48; ++renewal) {
      const absl::CivilDay next_end = AddPeriod(term_end, c.renewal_term());
      if (SubtractPeriod(next_end + 1, c.notice_period()) <= term_end + 1) {
        return base::FieldError("contract.notice_period",
                                absl::StrCat("as long as a renewed term or longer (the one from ",
                                             FormatDate(term_end + 1), " to ", FormatDate(next_end),
                                             "): notice could never be given within it"));
      }
      term_end = next_end;
    }
  }
  for (int i = 0; i < c.documents_size(); ++i) {
    const std::string at = absl::StrCat("contract.documents[", i, "]");
    if (base::IsBlank(c.documents(i).title())) {
      return base::FieldError(at + ".title", "required");
    }
    if (base::IsBlank(c.documents(i).uri())) {
      return base::FieldError(at + ".uri", "required");
    }
    // A URL or a document-management id; never one that runs or embeds something where a
    // console or an integration shows it as a link.
    const std::string scheme = absl::AsciiStrToLower(absl::StripLeadingAsciiWhitespace(
        absl::string_view(c.documents(i).uri()).substr(0, c.documents(i).uri().find(':'))));
    if (scheme == "javascript" || scheme == "vbscript" || scheme == "data" || scheme == "file" ||
        scheme == "blob" || scheme == "filesystem") {
      return base::FieldError(at + ".uri",
                              absl::StrCat("a ", scheme, ": link is not a document's place"));
    }
    // "//host/x" is a link to wherever the page showing it was loaded from, not a place.
    if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(c.documents(i).uri()), "//")) {
      return base::FieldError(at + ".uri",
                              "a link without a scheme (//host/...): write https://host/...");
    }
  }
  for (int i = 0; i < c.parties_size(); ++i) {
    if (base::IsBlank(c.parties(i))) {
      return base::FieldError(absl::StrCat("contract.parties[", i, "]"), "empty");
    }
  }
  ITSM_RETURN_IF_ERROR(CheckIdList("contract.services", c.services()));
  ITSM_RETURN_IF_ERROR(CheckIdList("contract.configuration_item_ids", c.configuration_item_ids()));
  return CheckIdList("contract.uc_definition_ids", c.uc_definition_ids());
}

absl::Status ContractRules::CheckRenewalsToCatchUp(const v1::Contract& c) const {
  if (c.state() != v1::CONTRACT_STATE_ACTIVE || c.renewal_kind() != v1::RENEWAL_KIND_AUTOMATIC ||
      IsZero(c.renewal_term())) {
    return absl::OkStatus();
  }
  ITSM_ASSIGN_OR_RETURN(absl::TimeZone zone, LoadZone("contract.time_zone", c.time_zone()));
  ITSM_ASSIGN_OR_RETURN(absl::CivilDay end, ParseDate("contract.end_date", c.end_date()));
  const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), zone);
  for (int renewals = 0; end < today; ++renewals) {
    if (renewals == kMaxRenewalsToCatchUp) {
      return base::FieldError(
          "contract.end_date",
          absl::StrCat("the term ended more than ", kMaxRenewalsToCatchUp,
                       " renewal terms ago; give the end date of the current term"));
    }
    end = AddPeriod(end, c.renewal_term());
  }
  return absl::OkStatus();
}

absl::Status ContractRules::ValidateCreate(const v1::CreateContractRequest& request) const {
  const v1::ContractState state = request.contract().state();
  if (state != v1::CONTRACT_STATE_UNSPECIFIED && state != v1::CONTRACT_STATE_DRAFT &&
      state != v1::CONTRACT_STATE_ACTIVE) {
    return base::FieldError("contract.state", "a new contract is DRAFT or ACTIVE");
  }
  v1::Contract defaults = request.contract();
  if (defaults.renewal_kind() == v1::RENEWAL_KIND_UNSPECIFIED) {
    defaults.set_renewal_kind(v1::RENEWAL_KIND_NONE);
  }
  ITSM_RETURN_IF_ERROR(CheckContract(defaults));
  return CheckRenewalsToCatchUp(defaults);
}

absl::Status ContractRules::ValidateUpdate(const v1::UpdateContractRequest& request) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.contract().id(), "contract.id"));
  return records::CheckUpdateMask(request.update_mask(), UpdatableContractFields());
}

absl::Status ContractRules::ValidateTransition(const v1::TransitionContractRequest& r) const {
  ITSM_RETURN_IF_ERROR(CheckId(r.id()));
  if (!v1::ContractState_IsValid(r.target_state()) ||
      r.target_state() == v1::CONTRACT_STATE_UNSPECIFIED) {
    return base::FieldError("target_state",
                            absl::StrCat("unknown state ", static_cast<int>(r.target_state())));
  }
  if (r.target_state() == v1::CONTRACT_STATE_EXPIRED) {
    return base::FieldError("target_state", "EXPIRED is reached at the end of the term only");
  }
  if ((r.target_state() == v1::CONTRACT_STATE_NOTICE_GIVEN ||
       r.target_state() == v1::CONTRACT_STATE_TERMINATED) &&
      base::IsBlank(r.reason())) {
    return base::FieldError("reason", "required to give notice or terminate");
  }
  return absl::OkStatus();
}

v1::Contract ContractRules::NewContract(const v1::CreateContractRequest& request,
                                        const std::string& actor) const {
  const auto now = base::ToProtoTimestamp(clock_.Now());
  v1::Contract c = request.contract();
  c.set_id(base::NewUuid());
  c.clear_number();
  c.set_title(std::string(absl::StripAsciiWhitespace(c.title())));
  if (c.state() == v1::CONTRACT_STATE_UNSPECIFIED) c.set_state(v1::CONTRACT_STATE_DRAFT);
  if (c.renewal_kind() == v1::RENEWAL_KIND_UNSPECIFIED) c.set_renewal_kind(v1::RENEWAL_KIND_NONE);
  c.set_renewal_count(0);
  c.clear_termination_reason();
  c.clear_notice_time();
  c.clear_termination_time();
  c.set_created_by(actor);
  *c.mutable_create_time() = now;
  *c.mutable_update_time() = now;
  c.set_version(1);
  return c;
}

ContractChange ContractRules::Created(const v1::Contract& contract,
                                      const std::string& actor) const {
  ContractChange out;
  out.after = contract;
  out.action = "create";
  out.changes = records::DiffFields(v1::Contract(), contract);
  auto e = NewEvent<v1::ContractCreated>(contract, records::FieldNames(out.changes));
  e->set_actor(actor);
  out.events.push_back(std::move(e));
  return out;
}

ContractChange ContractRules::Finish(const v1::Contract& before, v1::Contract after,
                                     std::string action, const std::string& actor) const {
  ContractChange out =
      records::VersionedChange(before, std::move(after), std::move(action), clock_.Now());
  if (!out.changed()) return out;
  const std::vector<std::string> fields = records::FieldNames(out.changes);
  if (out.after.state() != before.state()) {
    auto e = NewEvent<v1::ContractStateChanged>(out.after, fields);
    e->set_actor(actor);
    e->set_previous_state(before.state());
    out.events.push_back(std::move(e));
  } else {
    auto e = NewEvent<v1::ContractUpdated>(out.after, fields);
    e->set_actor(actor);
    out.events.push_back(std::move(e));
  }
  return out;
}

absl::Status ContractRules::CheckNoticeDeadline(const v1::Contract& stored, absl::Time now,
                                                const std::string& field) {
  if (stored.state() != v1::CONTRACT_STATE_ACTIVE ||
      stored.renewal_kind() != v1::RENEWAL_KIND_AUTOMATIC || IsZero(stored.notice_period())) {
    return absl::OkStatus();
  }
  ITSM_ASSIGN_OR_RETURN(absl::TimeZone zone, LoadZone("contract.time_zone", stored.time_zone()));
  ITSM_ASSIGN_OR_RETURN(absl::CivilDay end, ParseDate("contract.end_date", stored.end_date()));
  const absl::CivilDay notice_day = SubtractPeriod(end + 1, stored.notice_period());
  if (now < DayStart(notice_day, zone)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      field, ": the notice deadline passed on ", FormatDate(notice_day), " (the day before: ",
      FormatDate(notice_day - 1), " was the last); the contract renews at the end of its term"));
}

// A contract in force whose end date moves into the past would have a term that ended without
// its outcome: the renewal or expiry of that day has fired already (or would fire now for a
// term that never was), and the contract would stay ACTIVE with nothing ahead.
absl::Status ContractRules::CheckTermNotEnded(const v1::Contract& after) const {
  if (after.state() != v1::CONTRACT_STATE_ACTIVE &&
      after.state() != v1::CONTRACT_STATE_NOTICE_GIVEN) {
    return absl::OkStatus();
  }
  ITSM_ASSIGN_OR_RETURN(absl::TimeZone zone, LoadZone("contract.time_zone", after.time_zone()));
  ITSM_ASSIGN_OR_RETURN(absl::CivilDay end, ParseDate("contract.end_date", after.end_date()));
  const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), zone);
  if (end >= today) return absl::OkStatus();
  return base::FieldError("contract.end_date",
                          absl::StrCat("before today (", FormatDate(today),
                                       "): the current term of a contract in force ends today "
                                       "or later"));
}

absl::StatusOr<ContractChange> ContractRules::Update(const v1::Contract& stored,
                                                     const v1::UpdateContractRequest& request,
                                                     const std::string& actor) const {
  ITSM_RETURN_IF_ERROR(
      records::CheckVersion(stored.version(), request.contract().version(), "contract.version"));
  if (stored.state() == v1::CONTRACT_STATE_EXPIRED ||
      stored.state() == v1::CONTRACT_STATE_TERMINATED) {
    return absl::FailedPreconditionError(
        absl::StrCat("state: ", ContractStateName(stored.state()), " contracts cannot be changed"));
  }
  v1::Contract after = stored;
  records::ApplyUpdateMask(request.update_mask(), request.contract(), after);
  // Once this term's notice deadline passed, the term renews: emptying the notice period,
  // ending the automatic renewal or moving the end date (or its time zone) would reopen the
  // notice it closed.
  for (const auto& c : records::DiffFields(stored, after)) {
    const std::string& f = c.field();
    if (f == "notice_period" || f == "renewal_kind" || f == "renewal_term" || f == "end_date" ||
        f == "time_zone") {
      ITSM_RETURN_IF_ERROR(CheckNoticeDeadline(stored, clock_.Now(), "contract." + f));
    }
    if (f == "end_date") ITSM_RETURN_IF_ERROR(CheckTermNotEnded(after));
  }
  after.set_title(std::string(absl::StripAsciiWhitespace(after.title())));
  if (after.renewal_kind() == v1::RENEWAL_KIND_UNSPECIFIED) {
    after.set_renewal_kind(v1::RENEWAL_KIND_NONE);
  }
  if (after.supplier_id() != stored.supplier_id()) {
    return base::FieldError("contract.supplier_id", "a contract stays with its supplier");
  }
  ITSM_RETURN_IF_ERROR(CheckContract(after));
  ITSM_RETURN_IF_ERROR(CheckRenewalsToCatchUp(after));
  return Finish(stored, std::move(after), "update", actor);
}

absl::StatusOr<ContractChange> ContractRules::Transition(
    const v1::Contract& stored, const v1::TransitionContractRequest& request,
    const std::string& actor) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  ITSM_ASSIGN_OR_RETURN(TransitionKind kind,
                        ContractStateMachine().Check(stored.state(), request.target_state()));
  const absl::Time now = clock_.Now();
  v1::Contract after = stored;
  after.set_state(request.target_state());
  switch (kind) {
    case TransitionKind::kGiveNotice:
      ITSM_RETURN_IF_ERROR(CheckNoticeDeadline(stored, now, "target_state"));
      after.set_termination_reason(request.reason());
      *after.mutable_notice_time() = base::ToProtoTimestamp(now);
      break;
    case TransitionKind::kWithdrawNotice:
      after.clear_termination_reason();
      after.clear_notice_time();
      break;
    case TransitionKind::kTerminate:
      after.set_termination_reason(request.reason());
      *after.mutable_termination_time() = base::ToProtoTimestamp(now);
      break;
    default:
      break;
  }
  ITSM_RETURN_IF_ERROR(CheckRenewalsToCatchUp(after));
  ContractChange out = Finish(stored, std::move(after), TransitionKindName(kind), actor);
  // Notice and termination keep their reason on the record (termination_reason); any other
  // transition's reason (a notice withdrawn) is kept in the history.
  if (out.changed() && !request.reason().empty() && kind != TransitionKind::kGiveNotice &&
      kind != TransitionKind::kTerminate) {
    out.changes.push_back(ReasonChange(request.reason()));
  }
  return out;
}

ContractChange ContractRules::Expired(const v1::Contract& stored) const {
  v1::Contract after = stored;
  after.set_state(v1::CONTRACT_STATE_EXPIRED);
  ContractChange out = Finish(stored, std::move(after), "expire", kDeadlineActor);
  out.events.clear();  // announced by ContractExpired, with its deadline
  return out;
}

absl::StatusOr<ContractChange> ContractRules::Renewed(const v1::Contract& stored) const {
  ITSM_ASSIGN_OR_RETURN(v1::Contract after, RenewedTerm(stored));
  ContractChange out = Finish(stored, std::move(after), "renew", kDeadlineActor);
  out.events.clear();  // announced by ContractRenewed, with its deadline
  return out;
}

}  // namespace itsm::supplier
