// One incident's whole life through the real itsm-incident binary and the embedded Kafka broker
// (itsm-kafka): create, assign, work, hold, resume, comment, resolve, reopen, resolve, close.
// Checks the exact event sequence on itsm.incident.v1 — types, order, changed_fields, actor —
// which is the contract the SLA timer consumes, and the audit trail GetHistory returns.
#include <map>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/supervisor/backends.h"
#include "itsm/supervisor/suite_service.h"
#include "itsm/testing/kafka_reader.h"
#include "itsm/testing/test_env.h"
#include "itsm/testing/test_issuer.h"

namespace itsm {
namespace {

using ::itsm::testing::Backend;
namespace v1 = incident::v1;
using Stub = v1::IncidentService::Stub;

class IncidentLifecycleEndToEnd : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    supervisor::KafkaBroker::Options kafka;
    kafka.dir = dir_.File("kafka");
    kafka.log_file = dir_.File("kafka.log");
    kafka.partitions = 4;
    auto broker = supervisor::KafkaBroker::Start(kafka);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    supervisor::SuiteService::Options options;
    options.name = "incident";
    options.dir = dir_.File("data");
    options.log_file = dir_.File("incident.log");
    options.env = {{"ITSM_KAFKA_BOOTSTRAP_SERVERS", broker_->bootstrap_servers()},
                   {"ITSM_OUTBOX_POLL_INTERVAL_MS", "100"}};
    if (GetParam() == Backend::kPostgres) {
      auto url = itsm::testing::NewDatabaseUrl(Backend::kPostgres);
      ASSERT_TRUE(url.ok()) << url.status();
      options.env.emplace_back("ITSM_DATABASE_URL", *url);
    }
    for (auto& setting : issuer_.ServiceEnv(dir_.path())) options.env.push_back(setting);
    auto service = supervisor::SuiteService::Start(options);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = std::move(*service);
  }

  // Calls as `actor`, a service-desk agent who manages problems too, with a token of its own.
  template <typename Req, typename Resp>
  Resp Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*), const Req& r,
            const std::string& actor) {
    std::unique_ptr<Stub>& stub = stubs_[actor];
    if (stub == nullptr) {
      stub = v1::IncidentService::NewStub(issuer_.Channel(
          service_->grpc_address(),
          {.subject = actor, .roles = {common::v1::ROLE_AGENT, common::v1::ROLE_PROBLEM_MANAGER}}));
    }
    grpc::ClientContext ctx;
    Resp response;
    grpc::Status s = (stub.get()->*method)(&ctx, r, &response);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    return response;
  }

  v1::Incident Move(const v1::Incident& i, v1::IncidentState to, const std::string& actor) {
    v1::TransitionIncidentRequest r;
    r.set_id(i.id());
    r.set_version(i.version());
    r.set_target_state(to);
    if (to == v1::INCIDENT_STATE_ON_HOLD) r.set_hold_reason(v1::HOLD_REASON_AWAITING_SUPPLIER);
    if (to == v1::INCIDENT_STATE_RESOLVED) {
      r.set_resolution_code("Solved (permanently)");
      r.set_resolution_notes("Firmware upgraded on the core switch");
    }
    return Call(&Stub::TransitionIncident, r, actor).incident();
  }

  itsm::testing::ScratchDir dir_;
  itsm::testing::TestIssuer issuer_;
  std::unique_ptr<supervisor::KafkaBroker> broker_;
  std::unique_ptr<supervisor::SuiteService> service_;
  std::map<std::string, std::unique_ptr<Stub>> stubs_;
};

struct Expected {
  std::string type;
  std::vector<std::string> changed_fields;
  std::string actor;
};

// changed_fields and actor of any incident event (they share field numbers 1..3).
std::pair<std::vector<std::string>, std::string> FieldsAndActor(const std::string& value) {
  v1::IncidentUpdated any;  // same layout for fields 1..3 in every incident event
  any.ParsePartialFromString(value);
  return {{any.changed_fields().begin(), any.changed_fields().end()}, any.actor()};
}

TEST_P(IncidentLifecycleEndToEnd, WholeLifeProducesTheExactEventSequence) {
  v1::CreateIncidentRequest create;
  create.set_title("Core switch dropping packets");
  create.set_impact(1);
  create.set_urgency(1);
  create.set_service("network");
  v1::Incident i = Call(&Stub::CreateIncident, create, "alice").incident();
  ASSERT_EQ(i.number(), "INC0000001");

  v1::AssignIncidentRequest assign;
  assign.set_id(i.id());
  assign.set_version(i.version());
  assign.set_assignment_group("network-ops");
  assign.set_assignee("bob");
  i = Call(&Stub::AssignIncident, assign, "dispatcher").incident();
  i = Move(i, v1::INCIDENT_STATE_IN_PROGRESS, "bob");
  v1::UpdateIncidentRequest update;
  update.mutable_incident()->set_id(i.id());
  update.mutable_incident()->set_version(i.version());
  update.mutable_incident()->set_urgency(2);
  update.mutable_update_mask()->add_paths("urgency");
  i = Call(&Stub::UpdateIncident, update, "bob").incident();
  EXPECT_EQ(i.priority(), v1::PRIORITY_P2);
  i = Move(i, v1::INCIDENT_STATE_ON_HOLD, "bob");
  i = Move(i, v1::INCIDENT_STATE_IN_PROGRESS, "bob");
  v1::AddIncidentNoteRequest note;
  note.set_id(i.id());
  note.set_visibility(v1::NOTE_VISIBILITY_WORK_NOTE);
  note.set_text("Vendor shipped firmware 9.3.2");
  i = Call(&Stub::AddIncidentNote, note, "bob").incident();
  i = Move(i, v1::INCIDENT_STATE_RESOLVED, "bob");
  i = Move(i, v1::INCIDENT_STATE_IN_PROGRESS, "alice");  // reopen: still broken
  i = Move(i, v1::INCIDENT_STATE_RESOLVED, "bob");
  i = Move(i, v1::INCIDENT_STATE_CLOSED, "alice");
  EXPECT_EQ(i.version(), 11);
  EXPECT_EQ(i.reopen_count(), 1);

  // changed_fields are in field-number order.
  const std::vector<std::string> state_resolved = {"state", "resolve_time", "resolution_code",
                                                   "resolution_notes"};
  const std::vector<Expected> expected = {
      {"IncidentCreated",
       {"id", "number", "title", "caller", "service", "impact", "urgency", "priority", "state",
        "created_by", "create_time"},
       "alice"},
      {"IncidentAssigned", {"assignment_group", "assignee"}, "dispatcher"},
      {"IncidentStateChanged", {"state", "first_response_time"}, "dispatcher"},
      {"IncidentStateChanged", {"state"}, "bob"},
      {"IncidentPriorityChanged", {"urgency", "priority"}, "bob"},
      {"IncidentStateChanged", {"state", "hold_reason"}, "bob"},
      {"IncidentStateChanged", {"state", "hold_reason"}, "bob"},
      {"IncidentCommented", {"work_notes"}, "bob"},
      {"IncidentResolved", state_resolved, "bob"},
      {"IncidentReopened",
       {"state", "resolve_time", "resolution_code", "resolution_notes", "reopen_count"},
       "alice"},
      {"IncidentResolved", state_resolved, "bob"},
      {"IncidentClosed", {"state", "close_time"}, "alice"},
  };
  auto records =
      itsm::testing::ReadTopic(broker_->bootstrap_servers(), "itsm.incident.v1", expected.size());
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), expected.size());
  for (size_t n = 0; n < expected.size(); ++n) {
    const auto& r = (*records)[n];
    SCOPED_TRACE("event " + std::to_string(n));
    EXPECT_EQ(r.key, i.id());
    EXPECT_EQ(r.Header("ce_type"), "itsm.incident.v1." + expected[n].type);
    auto [fields, actor] = FieldsAndActor(r.value);
    EXPECT_EQ(fields, expected[n].changed_fields);
    EXPECT_EQ(actor, expected[n].actor);
  }
  // The last event carries the final record.
  v1::IncidentClosed closed;
  ASSERT_TRUE(closed.ParseFromString(records->back().value));
  EXPECT_EQ(closed.incident().SerializeAsString(), i.SerializeAsString());

  v1::GetHistoryRequest history;
  history.set_id(i.number());
  auto entries = Call(&Stub::GetHistory, history, "auditor").entries();
  ASSERT_EQ(entries.size(), 11);
  EXPECT_EQ(entries[1].actor(), "dispatcher");
  EXPECT_EQ(entries[1].action(), "assign");
  EXPECT_EQ(entries[3].changes(0).field(), "urgency");
  EXPECT_EQ(entries[3].changes(0).old_value(), "1");
  EXPECT_EQ(entries[3].changes(0).new_value(), "2");
}

INSTANTIATE_TEST_SUITE_P(Backends, IncidentLifecycleEndToEnd,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm
