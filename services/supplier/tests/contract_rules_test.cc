// Contract validation names the field; notice after the notice deadline is refused.
#include "services/supplier/src/contract_rules.h"

#include "gtest/gtest.h"
#include "itsm/base/error_detail.h"

namespace itsm::supplier {
namespace {

v1::CreateContractRequest Valid() {
  v1::CreateContractRequest r;
  auto* c = r.mutable_contract();
  c->set_supplier_id("SUP0000001");
  c->set_title("Support");
  c->set_type(v1::CONTRACT_TYPE_SUPPORT);
  c->set_start_date("2024-01-01");
  c->set_end_date("2024-12-31");
  c->mutable_value()->set_currency("EUR");
  c->mutable_value()->set_minor_units(1200000);
  return r;
}

std::string FieldOf(const absl::Status& s) { return base::ErrorField(s).value_or(""); }

// An ACTIVE contract renewing automatically catches up one renewal per term gone by (each a
// write, an audit entry and an event): a term that ended more than 1,000 terms ago is refused at
// once, on create, update and activation, rather than renewed tens of thousands of times.
TEST(ContractRules, AnAutomaticRenewalNeverHasToCatchUpMoreThanAThousandTerms) {
  base::ManualClock clock(absl::FromUnixSeconds(1'700'000'000));  // 2023-11-14
  ContractRules rules(clock);
  v1::CreateContractRequest r = Valid();
  v1::Contract& c = *r.mutable_contract();
  c.set_state(v1::CONTRACT_STATE_ACTIVE);
  c.set_renewal_kind(v1::RENEWAL_KIND_AUTOMATIC);
  c.set_start_date("1900-01-01");
  c.set_end_date("1900-01-02");
  c.mutable_renewal_term()->set_days(1);
  const absl::Status refused = rules.ValidateCreate(r);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(refused), "contract.end_date") << refused;

  c.mutable_renewal_term()->set_days(7);  // 1900 + 6,463 weekly terms: still too many
  EXPECT_EQ(FieldOf(rules.ValidateCreate(r)), "contract.end_date");
  c.mutable_renewal_term()->set_days(0);
  c.mutable_renewal_term()->set_months(1);
  c.set_start_date("1940-01-01");
  c.set_end_date("1940-01-31");  // 1,006 monthly renewals to catch up
  EXPECT_EQ(FieldOf(rules.ValidateCreate(r)), "contract.end_date");
  c.set_start_date("1945-01-01");
  c.set_end_date("1945-01-31");  // 946
  EXPECT_TRUE(rules.ValidateCreate(r).ok());
  c.set_state(v1::CONTRACT_STATE_DRAFT);  // a draft renews nothing
  c.set_start_date("1900-01-01");
  c.set_end_date("1900-01-02");
  c.mutable_renewal_term()->set_months(0);
  c.mutable_renewal_term()->set_days(1);
  EXPECT_TRUE(rules.ValidateCreate(r).ok());

  v1::Contract stored = c;
  stored.set_id("CON0000001");
  stored.set_version(1);
  v1::TransitionContractRequest activate;
  activate.set_version(1);
  activate.set_target_state(v1::CONTRACT_STATE_ACTIVE);
  EXPECT_EQ(FieldOf(rules.Transition(stored, activate, "ann").status()), "contract.end_date");
}

TEST(ContractRules, EveryBadFieldIsNamed) {
  base::ManualClock clock(absl::FromUnixSeconds(1'700'000'000));
  ContractRules rules(clock);
  EXPECT_TRUE(rules.ValidateCreate(Valid()).ok());
  struct Case {
    std::function<void(v1::Contract&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](v1::Contract& c) { c.clear_supplier_id(); }, "contract.supplier_id"},
      {[](v1::Contract& c) { c.set_title(" "); }, "contract.title"},
      {[](v1::Contract& c) { c.set_type(v1::CONTRACT_TYPE_UNSPECIFIED); }, "contract.type"},
      {[](v1::Contract& c) { c.set_start_date("2024-02-30"); }, "contract.start_date"},
      {[](v1::Contract& c) { c.set_end_date("2023-12-31"); }, "contract.end_date"},
      {[](v1::Contract& c) { c.set_time_zone("Mars/Olympus"); }, "contract.time_zone"},
      {[](v1::Contract& c) { c.mutable_value()->set_currency("eur"); }, "contract.value.currency"},
      {[](v1::Contract& c) { c.mutable_value()->set_currency("EUT"); }, "contract.value.currency"},
      {[](v1::Contract& c) { c.mutable_value()->set_currency("XXX"); }, "contract.value.currency"},
      {[](v1::Contract& c) { c.mutable_value()->set_minor_units(-1); },
       "contract.value.minor_units"},
      {[](v1::Contract& c) { c.mutable_value()->set_minor_units(kMaxMinorUnits + 1); },
       "contract.value.minor_units"},
      {[](v1::Contract& c) { c.mutable_notice_period()->set_months(-1); },
       "contract.notice_period.months"},
      {[](v1::Contract& c) { c.set_renewal_kind(v1::RENEWAL_KIND_AUTOMATIC); },
       "contract.renewal_term"},
      // Notice on or before the term's first day, or as long as the renewal term: never givable.
      {[](v1::Contract& c) {
         c.set_renewal_kind(v1::RENEWAL_KIND_AUTOMATIC);
         c.mutable_renewal_term()->set_months(24);
         c.mutable_notice_period()->set_months(12);
       },
       "contract.notice_period"},
      {[](v1::Contract& c) {
         c.set_renewal_kind(v1::RENEWAL_KIND_AUTOMATIC);
         c.set_end_date("2026-12-31");
         c.mutable_renewal_term()->set_months(12);
         c.mutable_notice_period()->set_months(12);
       },
       "contract.notice_period"},
      // 30 days' notice of a monthly contract fits in a July, never in a February to come.
      {[](v1::Contract& c) {
         c.set_renewal_kind(v1::RENEWAL_KIND_AUTOMATIC);
         c.set_start_date("2026-07-01");
         c.set_end_date("2026-07-31");
         c.mutable_renewal_term()->set_months(1);
         c.mutable_notice_period()->set_days(30);
       },
       "contract.notice_period"},
      {[](v1::Contract& c) { c.add_documents()->set_title("MSA"); }, "contract.documents[0].uri"},
      {[](v1::Contract& c) {
         v1::DocumentRef* d = c.add_documents();
         d->set_title("MSA");
         d->set_uri(" JavaScript:alert(1)");
       },
       "contract.documents[0].uri"},
      {[](v1::Contract& c) {
         v1::DocumentRef* d = c.add_documents();
         d->set_title("MSA");
         d->set_uri("//evil.example/msa.pdf");
       },
       "contract.documents[0].uri"},
      {[](v1::Contract& c) {
         v1::DocumentRef* d = c.add_documents();
         d->set_title("MSA");
         d->set_uri("blob:https://x/1");
       },
       "contract.documents[0].uri"},
      {[](v1::Contract& c) {
         c.add_services("mail");
         c.add_services("mail");
       },
       "contract.services[1]"},
      {[](v1::Contract& c) { c.add_services(" mail"); }, "contract.services[0]"},
  };
  for (const auto& k : cases) {
    v1::CreateContractRequest r = Valid();
    k.spoil(*r.mutable_contract());
    absl::Status s = rules.ValidateCreate(r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << k.field;
    EXPECT_EQ(FieldOf(s), k.field) << s;
  }
}

TEST(ContractRules, NoticeAfterTheNoticeDeadlineIsRefused) {
  base::ManualClock clock(absl::FromCivil(absl::CivilDay(2024, 9, 30), absl::UTCTimeZone()));
  ContractRules rules(clock);
  v1::Contract c = rules.NewContract(Valid(), "alice");
  c.set_state(v1::CONTRACT_STATE_ACTIVE);
  c.set_renewal_kind(v1::RENEWAL_KIND_AUTOMATIC);
  c.mutable_renewal_term()->set_months(12);
  c.mutable_notice_period()->set_months(3);
  v1::TransitionContractRequest notice;
  notice.set_id(c.id());
  notice.set_version(1);
  notice.set_target_state(v1::CONTRACT_STATE_NOTICE_GIVEN);
  notice.set_reason("moving to another supplier");
  auto ok = rules.Transition(c, notice, "alice");  // the last day: still in time
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->after.state(), v1::CONTRACT_STATE_NOTICE_GIVEN);
  EXPECT_EQ(ok->events.size(), 1u);
  clock.Advance(absl::Hours(24));
  auto late = rules.Transition(c, notice, "alice");
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  notice.set_version(7);
  EXPECT_EQ(rules.Transition(c, notice, "alice").status().code(), absl::StatusCode::kAborted);

  // Moving the end date would reopen the notice the deadline closed; other edits go on.
  v1::UpdateContractRequest extend;
  *extend.mutable_contract() = c;
  extend.mutable_contract()->set_end_date("2025-12-31");
  extend.mutable_update_mask()->add_paths("end_date");
  auto moved = rules.Update(c, extend, "alice");
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(moved.status().message().rfind("contract.end_date: the notice deadline passed", 0), 0u)
      << moved.status();
  extend.mutable_contract()->set_end_date(c.end_date());
  extend.mutable_contract()->set_title("Support (renegotiated)");
  extend.mutable_update_mask()->add_paths("title");
  EXPECT_TRUE(rules.Update(c, extend, "alice").ok());
}

// Moving the end of a contract in force into the past is refused: the outcome of that day has
// fired (or never will), and the contract would stay ACTIVE with nothing ahead.
TEST(ContractRules, TheEndOfAContractInForceDoesNotMoveIntoThePast) {
  base::ManualClock clock(absl::FromCivil(absl::CivilDay(2024, 6, 15), absl::UTCTimeZone()));
  ContractRules rules(clock);
  v1::Contract c = rules.NewContract(Valid(), "alice");
  c.set_state(v1::CONTRACT_STATE_ACTIVE);
  v1::UpdateContractRequest u;
  *u.mutable_contract() = c;
  u.mutable_contract()->set_end_date("2024-06-14");
  u.mutable_update_mask()->add_paths("end_date");
  auto moved = rules.Update(c, u, "alice");
  EXPECT_EQ(FieldOf(moved.status()), "contract.end_date") << moved.status();
  u.mutable_contract()->set_end_date("2024-06-15");  // today: the term ends tonight
  EXPECT_TRUE(rules.Update(c, u, "alice").ok());
  c.set_state(v1::CONTRACT_STATE_DRAFT);  // a draft is not in force
  u.mutable_contract()->set_end_date("2024-06-14");
  EXPECT_TRUE(rules.Update(c, u, "alice").ok());
}

// A notice period within a valid term and renewal term passes.
TEST(ContractRules, ANoticePeriodShorterThanTheTermsIsAccepted) {
  base::ManualClock clock(absl::FromUnixSeconds(1'700'000'000));
  ContractRules rules(clock);
  v1::CreateContractRequest r = Valid();
  v1::Contract& c = *r.mutable_contract();
  c.set_renewal_kind(v1::RENEWAL_KIND_AUTOMATIC);
  c.mutable_renewal_term()->set_months(12);
  c.mutable_notice_period()->set_months(11);
  EXPECT_TRUE(rules.ValidateCreate(r).ok());
}

}  // namespace
}  // namespace itsm::supplier
