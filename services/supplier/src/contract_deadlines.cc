#include "services/supplier/src/contract_deadlines.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/base/status_macros.h"
#include "services/supplier/src/contract_dates.h"

namespace itsm::supplier {
namespace {

constexpr int kMaxLeadDays = 3650;

bool IsWarning(v1::DeadlineKind kind) {
  return kind == v1::DEADLINE_KIND_NOTICE_APPROACHING || kind == v1::DEADLINE_KIND_EXPIRING;
}

}  // namespace

absl::StatusOr<std::vector<int>> ParseLeadDays(absl::string_view text) {
  std::vector<int> out;
  std::set<int> seen;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    int days = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &days) || days < 1 ||
        days > kMaxLeadDays || !seen.insert(days).second) {
      return absl::InvalidArgumentError(absl::StrCat("lead days must be distinct integers 1..",
                                                     kMaxLeadDays, ", got \"", text, "\""));
    }
    out.push_back(days);
  }
  return out;
}

absl::StatusOr<std::vector<DeadlineAt>> ContractDeadlines(const v1::Contract& contract,
                                                          const DeadlinePolicy& policy) {
  std::vector<DeadlineAt> out;
  const v1::ContractState state = contract.state();
  if (state != v1::CONTRACT_STATE_ACTIVE && state != v1::CONTRACT_STATE_NOTICE_GIVEN) return out;
  ITSM_ASSIGN_OR_RETURN(absl::TimeZone zone, LoadZone("contract.time_zone", contract.time_zone()));
  ITSM_ASSIGN_OR_RETURN(absl::CivilDay end, ParseDate("contract.end_date", contract.end_date()));
  const absl::CivilDay after_end = end + 1;
  const absl::Time expiry = DayStart(after_end, zone);
  const bool renews = state == v1::CONTRACT_STATE_ACTIVE &&
                      contract.renewal_kind() == v1::RENEWAL_KIND_AUTOMATIC &&
                      !IsZero(contract.renewal_term());
  if (renews) {
    if (!IsZero(contract.notice_period())) {
      const absl::CivilDay notice_day = SubtractPeriod(after_end, contract.notice_period());
      const absl::Time notice = DayStart(notice_day, zone);
      for (int lead : policy.notice_lead_days) {
        out.push_back({v1::DEADLINE_KIND_NOTICE_APPROACHING, lead, notice,
                       DayStart(notice_day - lead, zone)});
      }
      out.push_back({v1::DEADLINE_KIND_NOTICE_PASSED, 0, notice, notice});
    }
    out.push_back({v1::DEADLINE_KIND_RENEWED, 0, expiry, expiry});
  } else {
    for (int lead : policy.expiry_lead_days) {
      out.push_back({v1::DEADLINE_KIND_EXPIRING, lead, expiry, DayStart(after_end - lead, zone)});
    }
    out.push_back({v1::DEADLINE_KIND_EXPIRED, 0, expiry, expiry});
  }
  // A term ending on 9999-12-31 (the usual "perpetual") ends after the last instant a timestamp
  // can name: such deadlines are never reached, and a client could not read them.
  const absl::Time last_timestamp =
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone());
  std::erase_if(out, [&](const DeadlineAt& d) {
    return d.deadline > last_timestamp || d.due > last_timestamp;
  });
  // Soonest first; at one instant the warnings before the outcome they announce.
  std::stable_sort(out.begin(), out.end(), [](const DeadlineAt& a, const DeadlineAt& b) {
    if (a.due != b.due) return a.due < b.due;
    return IsWarning(a.kind) && !IsWarning(b.kind);
  });
  return out;
}

std::vector<DeadlineAt> Schedulable(const std::vector<DeadlineAt>& deadlines, absl::Time now) {
  std::vector<DeadlineAt> out;
  // Per kind of warning, the overdue one with the shortest lead whose deadline is still ahead.
  std::vector<const DeadlineAt*> overdue_warning;
  for (const DeadlineAt& d : deadlines) {
    if (!IsWarning(d.kind) || d.due > now) {
      out.push_back(d);
      continue;
    }
    if (d.deadline <= now) continue;
    auto same = std::find_if(overdue_warning.begin(), overdue_warning.end(),
                             [&](const DeadlineAt* w) { return w->kind == d.kind; });
    if (same == overdue_warning.end()) {
      overdue_warning.push_back(&d);
    } else if (d.lead_days < (*same)->lead_days) {
      *same = &d;
    }
  }
  for (const DeadlineAt* w : overdue_warning) out.push_back(*w);
  std::stable_sort(out.begin(), out.end(),
                   [](const DeadlineAt& a, const DeadlineAt& b) { return a.due < b.due; });
  return out;
}

absl::StatusOr<std::vector<DeadlineAt>> ReviewDeadlines(const v1::Supplier& supplier) {
  std::vector<DeadlineAt> out;
  if (supplier.next_review_date().empty() || supplier.status() == v1::SUPPLIER_STATUS_TERMINATED) {
    return out;
  }
  ITSM_ASSIGN_OR_RETURN(absl::TimeZone zone,
                        LoadZone("supplier.review_time_zone", supplier.review_time_zone()));
  ITSM_ASSIGN_OR_RETURN(absl::CivilDay day,
                        ParseDate("supplier.next_review_date", supplier.next_review_date()));
  const absl::Time at = DayStart(day, zone);
  out.push_back({v1::DEADLINE_KIND_REVIEW_DUE, 0, at, at});
  return out;
}

absl::StatusOr<v1::Contract> RenewedTerm(const v1::Contract& contract) {
  ITSM_ASSIGN_OR_RETURN(absl::CivilDay end, ParseDate("contract.end_date", contract.end_date()));
  ITSM_ASSIGN_OR_RETURN(absl::CivilDay start,
                        ParseDate("contract.start_date", contract.start_date()));
  v1::Contract after = contract;
  // Terms are anchored on the day the contract started: a term beginning on a month's last day
  // because its anchor (the 29th to 31st) does not exist there ends as the anchor says.
  const absl::CivilDay next_start = end + 1;
  const absl::CivilDay next_end =
      AddMonthsFromAnchor(next_start, contract.renewal_term().months(), start.day()) +
      contract.renewal_term().days() - 1;
  after.set_end_date(FormatDate(next_end));
  after.set_renewal_count(contract.renewal_count() + 1);
  return after;
}

}  // namespace itsm::supplier
