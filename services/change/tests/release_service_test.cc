// Releases and deployments through the change service's gRPC API (change_service_fixture.h):
// the life cycle, readiness naming the changes that block it, deployments on CMDB-checked CIs,
// versions, idempotency, history and events, and bad input that changes nothing.
#include "services/change/tests/change_service_fixture.h"

namespace itsm::change {
namespace {

class ReleaseServiceTest : public ChangeServiceTest {
 protected:
  v1::Release CreateRelease(v1::CreateReleaseRequest r,
                            grpc::StatusCode expect = grpc::StatusCode::OK,
                            std::string* error = nullptr) {
    v1::CreateReleaseResponse out;
    grpc::Status s = Call(&Stub::CreateRelease, r, &out, "cm");
    EXPECT_EQ(s.error_code(), expect) << s.error_message();
    if (error != nullptr) *error = s.error_message();
    return out.release();
  }
  grpc::Status Move(const v1::Release& r, v1::ReleaseState to, v1::Release* out) {
    v1::TransitionReleaseRequest t;
    t.set_id(r.number());
    t.set_version(r.version());
    t.set_target_state(to);
    v1::TransitionReleaseResponse resp;
    grpc::Status s = Call(&Stub::TransitionRelease, t, &resp, "cm");
    if (s.ok()) *out = resp.release();
    return s;
  }
  v1::Release MoveOk(v1::Release r, v1::ReleaseState to) {
    grpc::Status s = Move(r, to, &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return r;
  }
  grpc::Status MoveDeployment(const v1::Release& r, v1::DeploymentState to,
                              v1::DeploymentOutcome outcome, v1::Release* out) {
    v1::UpdateDeploymentRequest u;
    u.set_release_id(r.id());
    u.set_version(r.version());
    u.mutable_deployment()->set_id("1");
    u.mutable_deployment()->set_state(to);
    u.mutable_update_mask()->add_paths("state");
    if (outcome != v1::DEPLOYMENT_OUTCOME_UNSPECIFIED) {
      u.mutable_deployment()->set_outcome(outcome);
      u.mutable_update_mask()->add_paths("outcome");
    }
    v1::UpdateDeploymentResponse resp;
    grpc::Status s = Call(&Stub::UpdateDeployment, u, &resp, "cm");
    if (s.ok()) *out = resp.release();
    return s;
  }
  v1::Change Approved(v1::Change c) {
    c = To(To(c, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE);
    c = Decide(c, "cm", v1::APPROVAL_DECISION_APPROVE);
    EXPECT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_APPROVED);
    return c;
  }
  v1::Release Get(const std::string& id, v1::ReleaseReadiness* readiness = nullptr) {
    v1::GetReleaseRequest g;
    g.set_id(id);
    v1::GetReleaseResponse out;
    grpc::Status s = Call(&Stub::GetRelease, g, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (readiness != nullptr) *readiness = out.readiness();
    return out.release();
  }
};

TEST_P(ReleaseServiceTest, ReleaseDeploysOnlyOnceEveryChangeIsAuthorised) {
  v1::Change a = Create(Normal("Upgrade the database", {"db-01"}));
  v1::Change b = Create(Normal("Patch the application", {"app-01"}));

  v1::CreateReleaseRequest cr;
  cr.set_kind(v1::RELEASE_KIND_MINOR);
  cr.set_title("Billing 2.4");
  cr.add_change_ids(a.number());  // by number
  cr.add_change_ids(b.id());      // by id
  cr.set_idempotency_key("rel-billing-2.4");
  v1::Release r = CreateRelease(cr);
  EXPECT_EQ(r.number(), "REL0000001");
  EXPECT_EQ(r.state(), v1::RELEASE_STATE_PLANNED);
  EXPECT_EQ(std::vector<std::string>(r.change_ids().begin(), r.change_ids().end()),
            (std::vector<std::string>{a.id(), b.id()}));
  // The same key: the same release, nothing new.
  EXPECT_EQ(CreateRelease(cr).id(), r.id());
  EXPECT_EQ(Count("releases"), 1);

  r = MoveOk(MoveOk(r, v1::RELEASE_STATE_BUILD), v1::RELEASE_STATE_TEST);
  v1::Release unchanged;
  grpc::Status refused = Move(r, v1::RELEASE_STATE_DEPLOY, &unchanged);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(refused.error_message(),
            "target_state: release REL0000001 cannot deploy: not authorised: CHG0000001 is in "
            "NEW, approval UNSPECIFIED; CHG0000002 is in NEW, approval UNSPECIFIED");
  EXPECT_EQ(Get(r.id()).version(), r.version());

  // A deployment on CIs the CMDB knows; an unknown CI is refused by name, nothing written.
  v1::AddDeploymentRequest ad;
  ad.set_release_id(r.number());
  ad.set_version(r.version());
  ad.set_environment("production");
  ad.add_configuration_item_ids("db-01");
  ad.add_configuration_item_ids("no-such-ci");
  *ad.mutable_planned_start_time() = base::ToProtoTimestamp(kDay + absl::Hours(20));
  *ad.mutable_planned_end_time() = base::ToProtoTimestamp(kDay + absl::Hours(22));
  v1::AddDeploymentResponse added;
  const int64_t outbox_before = Count("outbox");
  grpc::Status bad_ci = Call(&Stub::AddDeployment, ad, &added, "cm");
  EXPECT_EQ(bad_ci.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad_ci.error_message().rfind("configuration_item_ids[1]: ", 0), 0u)
      << bad_ci.error_message();
  EXPECT_EQ(Count("outbox"), outbox_before);
  EXPECT_EQ(Get(r.id()).version(), r.version());
  ad.mutable_configuration_item_ids()->RemoveLast();
  ASSERT_TRUE(Call(&Stub::AddDeployment, ad, &added, "cm").ok());
  EXPECT_EQ(added.deployment().id(), "1");
  EXPECT_EQ(added.deployment().state(), v1::DEPLOYMENT_STATE_PLANNED);
  r = added.release();

  // Nor may a deployment start while a change is not authorised.
  grpc::Status start_refused =
      MoveDeployment(r, v1::DEPLOYMENT_STATE_IN_PROGRESS, v1::DEPLOYMENT_OUTCOME_UNSPECIFIED, &r);
  EXPECT_EQ(start_refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(start_refused.error_message().find("CHG0000001"), std::string::npos);

  a = Approved(a);
  refused = Move(r, v1::RELEASE_STATE_DEPLOY, &unchanged);
  EXPECT_EQ(refused.error_message(),
            "target_state: release REL0000001 cannot deploy: not authorised: CHG0000002 is in "
            "NEW, approval UNSPECIFIED");
  v1::ReleaseReadiness readiness;
  Get(r.id(), &readiness);
  EXPECT_FALSE(readiness.ready());
  ASSERT_EQ(readiness.blocking_size(), 1);
  EXPECT_EQ(readiness.blocking(0).number(), b.number());

  b = Approved(b);
  Get(r.id(), &readiness);
  EXPECT_TRUE(readiness.ready());
  const v1::Release stale = r;
  r = MoveOk(r, v1::RELEASE_STATE_DEPLOY);
  // A write carrying the version read before is ABORTED.
  EXPECT_EQ(Move(stale, v1::RELEASE_STATE_CANCELLED, &unchanged).error_code(),
            grpc::StatusCode::ABORTED);

  ASSERT_TRUE(
      MoveDeployment(r, v1::DEPLOYMENT_STATE_IN_PROGRESS, v1::DEPLOYMENT_OUTCOME_UNSPECIFIED, &r)
          .ok());
  EXPECT_TRUE(r.deployments(0).has_actual_start_time());
  EXPECT_EQ(Move(r, v1::RELEASE_STATE_REVIEW, &unchanged).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(
      MoveDeployment(r, v1::DEPLOYMENT_STATE_COMPLETED, v1::DEPLOYMENT_OUTCOME_SUCCESSFUL, &r)
          .ok());
  EXPECT_EQ(r.deployments(0).outcome(), v1::DEPLOYMENT_OUTCOME_SUCCESSFUL);
  r = MoveOk(MoveOk(r, v1::RELEASE_STATE_REVIEW), v1::RELEASE_STATE_CLOSED);
  EXPECT_EQ(r.state(), v1::RELEASE_STATE_CLOSED);

  v1::GetChangeHistoryRequest h;
  h.set_id(r.number());
  v1::GetChangeHistoryResponse history;
  ASSERT_TRUE(Call(&Stub::GetChangeHistory, h, &history).ok());
  std::vector<std::string> actions;
  for (const auto& e : history.entries()) actions.push_back(e.action());
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "transition:BUILD", "transition:TEST",
                                               "add_deployment", "transition:DEPLOY",
                                               "update_deployment", "update_deployment",
                                               "transition:REVIEW", "transition:CLOSED"}));
  EXPECT_EQ(history.entries(0).actor(), "cm");

  const std::vector<std::string> types = EventTypes(r.id());
  EXPECT_EQ(types, (std::vector<std::string>{
                       "ReleaseCreated", "ReleaseStateChanged", "ReleaseStateChanged",
                       "DeploymentRecorded", "ReleaseStateChanged", "DeploymentRecorded",
                       "DeploymentRecorded", "ReleaseStateChanged", "ReleaseStateChanged"}));

  v1::ListReleasesRequest lr;
  lr.set_change_id(b.id());
  v1::ListReleasesResponse listed;
  ASSERT_TRUE(Call(&Stub::ListReleases, lr, &listed).ok());
  ASSERT_EQ(listed.releases_size(), 1);
  EXPECT_EQ(listed.releases(0).id(), r.id());
  // By the change's number as by its id; an unknown change is refused, not an empty page.
  lr.set_change_id(b.number());
  v1::ListReleasesResponse by_number;
  ASSERT_TRUE(Call(&Stub::ListReleases, lr, &by_number).ok());
  ASSERT_EQ(by_number.releases_size(), 1);
  lr.set_change_id("CHG9999999");
  v1::ListReleasesResponse none;
  grpc::Status unknown = Call(&Stub::ListReleases, lr, &none);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(unknown.error_message(), "change_id: no change \"CHG9999999\"");
}

TEST_P(ReleaseServiceTest, BadInputNamesTheFieldAndChangesNothing) {
  v1::Change a = Create(Normal("Upgrade the database", {"db-01"}));
  v1::CreateReleaseRequest cr;
  cr.set_kind(v1::RELEASE_KIND_MAJOR);
  cr.set_title("R");
  cr.add_change_ids(a.id());
  cr.add_change_ids("CHG9999999");
  std::string error;
  CreateRelease(cr, grpc::StatusCode::INVALID_ARGUMENT, &error);
  EXPECT_EQ(error, "change_ids[1]: no change \"CHG9999999\"");
  cr.set_change_ids(1, a.number());
  CreateRelease(cr, grpc::StatusCode::INVALID_ARGUMENT, &error);
  EXPECT_EQ(error, "change_ids[1]: CHG0000001 is listed twice");
  cr.clear_kind();
  CreateRelease(cr, grpc::StatusCode::INVALID_ARGUMENT, &error);
  EXPECT_EQ(error, "kind: required (MAJOR, MINOR or EMERGENCY)");
  EXPECT_EQ(Count("releases"), 0);
  EXPECT_EQ(Count("release_changes"), 0);

  cr.set_kind(v1::RELEASE_KIND_EMERGENCY);
  cr.mutable_change_ids()->RemoveLast();
  v1::Release r = CreateRelease(cr);
  const int64_t outbox = Count("outbox");
  v1::UpdateReleaseRequest u;
  *u.mutable_release() = r;
  u.mutable_release()->add_change_ids("nope");
  u.mutable_update_mask()->add_paths("change_ids");
  v1::UpdateReleaseResponse updated;
  grpc::Status s = Call(&Stub::UpdateRelease, u, &updated, "cm");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "release.change_ids[1]: no change \"nope\"");
  u.mutable_release()->clear_change_ids();
  u.mutable_release()->set_title("  ");
  u.mutable_update_mask()->set_paths(0, "title");
  s = Call(&Stub::UpdateRelease, u, &updated, "cm");
  EXPECT_EQ(s.error_message(), "release.title: required");
  v1::UpdateDeploymentRequest ud;
  ud.set_release_id(r.id());
  ud.set_version(r.version());
  ud.mutable_deployment()->set_id("1");
  ud.mutable_update_mask()->add_paths("notes");
  v1::UpdateDeploymentResponse ud_out;
  s = Call(&Stub::UpdateDeployment, ud, &ud_out, "cm");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "deployment.id: release REL0000001 has no deployment \"1\"");
  EXPECT_EQ(Count("outbox"), outbox);
  const v1::Release after = Get(r.id());
  EXPECT_EQ(after.version(), r.version());
  EXPECT_EQ(after.title(), "R");

  // A release deploying keeps its readiness: an unauthorised change cannot join it.
  v1::Change c = Create(Normal("Another", {"app-01"}));
  u.mutable_release()->set_title("R");
  u.mutable_release()->add_change_ids(a.id());
  u.mutable_release()->add_change_ids(c.id());
  u.mutable_update_mask()->set_paths(0, "change_ids");
  s = Call(&Stub::UpdateRelease, u, &updated, "cm");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.release().change_ids_size(), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReleaseServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::change
