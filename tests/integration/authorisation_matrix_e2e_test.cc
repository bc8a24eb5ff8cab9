// Issue 13's authorisation matrix, straight against the services the launcher runs: every RPC
// of every service × every role, expectations read from the declarations in the .protos, each
// call made with a real token of the run's issuer. A role the RPC allows gets past
// authorisation (whatever the empty request then earns: INVALID_ARGUMENT, NOT_FOUND, ...); one
// it does not is PERMISSION_DENIED; no token, or a token of another issuer, is UNAUTHENTICATED.
// Then who did what: the audit trail names the verified subject, never a header the caller
// wrote, and a refused write stores nothing.
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "itsm/auth/access_policy.h"
#include "itsm/change/v1/change.grpc.pb.h"
#include "itsm/common/v1/access.pb.h"
#include "itsm/httpclient/http_client.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/supplier/v1/supplier.grpc.pb.h"
#include "itsm/testing/test_env.h"
#include "itsm/testing/test_issuer.h"
#include "launched_suite.h"
#include "services/gateway/src/field_path.h"
#include "services/gateway/src/rest_request.h"
#include "services/gateway/src/route_table.h"

namespace itsm {
namespace {

using common::v1::Role;

// The gRPC services each process of the suite serves.
const std::map<std::string, std::vector<std::string>>& ServedBy() {
  static const auto* kServed = new std::map<std::string, std::vector<std::string>>{
      {"configuration",
       {"itsm.config.v1.ConfigurationService", "itsm.outbox.v1.OutboxAdminService"}},
      {"incident",
       {"itsm.incident.v1.IncidentService", "itsm.incident.v1.AlertIntakeService",
        "itsm.outbox.v1.OutboxAdminService"}},
      {"change", {"itsm.change.v1.ChangeService", "itsm.outbox.v1.OutboxAdminService"}},
      {"supplier", {"itsm.supplier.v1.SupplierService", "itsm.outbox.v1.OutboxAdminService"}},
      {"sla", {"itsm.sla.v1.SlaService", "itsm.outbox.v1.OutboxAdminService"}},
      {"sla-timer", {"itsm.outbox.v1.OutboxAdminService"}},
      {"webhooks", {"itsm.webhooks.v1.WebhookService"}},
      {"gateway", {"itsm.gateway.v1.ApiKeyService"}},
  };
  return *kServed;
}

std::vector<Role> EveryRole() {
  std::vector<Role> roles;
  const auto* e = common::v1::Role_descriptor();
  for (int i = 0; i < e->value_count(); ++i) {
    if (e->value(i)->number() != common::v1::ROLE_UNSPECIFIED) {
      roles.push_back(static_cast<Role>(e->value(i)->number()));
    }
  }
  return roles;
}

// What the declaration says, computed here from the option itself (not by libs/auth, which is
// what the services run and what is under test).
bool Declared(const google::protobuf::MethodDescriptor& method, Role role) {
  const common::v1::Access& access = method.options().GetExtension(common::v1::access);
  if (role == common::v1::ROLE_ADMIN) return true;
  for (int r : access.roles()) {
    if (r == role) return true;
  }
  for (int r : access.own_records_roles()) {
    if (r == role) return true;
  }
  return false;
}

// One unary call with an empty request, the method named as gRPC names it.
grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                       const std::string& authorization = "") {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  grpc::Slice empty("", 0);
  request = grpc::ByteBuffer(&empty, 1);
  grpc::Status result;
  absl::Notification done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    result = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

bool RefusedByPolicy(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
         absl::StrContains(s.error_message(), "may not call it");
}

class AuthorisationMatrix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // In dependency order: change needs configuration; supplier needs configuration and sla;
    // the gateway comes last.
    suite_ = new testing::LaunchedSuite({"configuration", "incident", "change", "sla", "sla-timer",
                                         "supplier", "webhooks", "gateway"},
                                        {{"ITSM_HTTP_PORT", "0"},
                                         // ~1,500 calls per identity: no rate limit in the way
                                         {"ITSM_RATE_LIMIT_READ_BURST", "1000000"},
                                         {"ITSM_RATE_LIMIT_WRITE_BURST", "1000000"}});
    suite_->Start();
  }
  static void TearDownTestSuite() {
    suite_->Stop();
    delete suite_;
  }
  static testing::LaunchedSuite* suite_;
};
testing::LaunchedSuite* AuthorisationMatrix::suite_ = nullptr;

TEST_F(AuthorisationMatrix, EveryServiceOfTheSuiteIsInTheMatrix) {
  std::set<std::string> in_matrix;
  for (const auto& [process, services] : ServedBy())
    in_matrix.insert(services.begin(), services.end());
  for (const auto* service : auth::LinkedServices("itsm.")) {
    if (absl::StartsWith(service->full_name(), "itsm.launcher.")) continue;
    EXPECT_TRUE(in_matrix.contains(service->full_name()))
        << service->full_name() << " is served by no process of the matrix: add it to ServedBy()";
  }
}

// Fail closed: a process of the suite given no issuer keys (a forgotten setting) does not start
// with its RPCs open; it exits with code 2 saying what is missing.
TEST_F(AuthorisationMatrix, EveryProcessRefusesToStartWithoutTheIssuersKeys) {
  for (const auto& [process, services] : ServedBy()) {
    SCOPED_TRACE(process);
    itsm::testing::ScratchDir dir;
    auto binary = supervisor::FindSuiteBinary(absl::StrCat("itsm-", process));
    ASSERT_TRUE(binary.ok()) << binary.status();
    supervisor::ChildProcess::Options options;
    options.binary = *binary;
    options.env = {{"ITSM_AUTH_JWKS_FILE", ""},   {"ITSM_ALLOW_UNAUTHENTICATED", "false"},
                   {"ITSM_DATA_DIR", dir.path()}, {"ITSM_DATABASE_URL", ""},
                   {"ITSM_GRPC_PORT", "0"},       {"ITSM_METRICS_PORT", "0"},
                   {"ITSM_HTTP_PORT", "0"},       {"ITSM_KAFKA_BOOTSTRAP_SERVERS", ""}};
    options.log_file = dir.File("log");
    auto child = supervisor::ChildProcess::Start(options);
    ASSERT_TRUE(child.ok()) << child.status();
    EXPECT_EQ((*child)->Wait(absl::Seconds(30)), 2);
    std::ifstream log(dir.File("log"));
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(absl::StrContains(text, "auth_jwks_file is not set")) << text;
  }
}

TEST_F(AuthorisationMatrix, EveryRpcTimesEveryRoleGetsWhatItsDeclarationSays) {
  const std::vector<Role> roles = EveryRole();
  int calls = 0;
  for (const auto& [process, services] : ServedBy()) {
    std::map<Role, std::shared_ptr<grpc::Channel>> as_role;
    for (Role role : roles) {
      as_role[role] = suite_->Channel(
          process, {.subject = absl::StrCat("matrix-", auth::RoleName(role)), .roles = {role}});
    }
    const auto anonymous =
        grpc::CreateChannel(suite_->GrpcAddress(process), grpc::InsecureChannelCredentials());
    for (const std::string& name : services) {
      const auto* service =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
      ASSERT_NE(service, nullptr) << name;
      for (int m = 0; m < service->method_count(); ++m) {
        const auto& method = *service->method(m);
        const std::string path = absl::StrCat("/", name, "/", method.name());
        const bool anonymous_ok = method.options().GetExtension(common::v1::access).anonymous();
        grpc::Status none = CallEmpty(anonymous, path);
        if (!anonymous_ok) {
          EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED)
              << process << " " << path << ": " << none.error_message();
        }
        // A well-formed token signed by a key the suite does not trust.
        testing::TestIssuer stranger;
        grpc::Status forged = CallEmpty(
            anonymous, path,
            stranger.Authorization({.subject = "intruder", .roles = {common::v1::ROLE_ADMIN}}));
        EXPECT_EQ(forged.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << process << " " << path << ": " << forged.error_message();
        for (Role role : roles) {
          grpc::Status s = CallEmpty(as_role[role], path);
          ++calls;
          EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
              << process << " " << path << " as " << auth::RoleName(role) << ": "
              << s.error_message();
          if (Declared(method, role)) {
            EXPECT_FALSE(RefusedByPolicy(s)) << process << " " << path << " as "
                                             << auth::RoleName(role) << ": " << s.error_message();
          } else {
            EXPECT_TRUE(RefusedByPolicy(s))
                << process << " " << path << " as " << auth::RoleName(role) << " answered "
                << s.error_code() << ": " << s.error_message();
          }
        }
      }
    }
  }
  std::cout << calls << " calls checked\n";
  EXPECT_GT(calls, 500);
}

// The same matrix through the gateway, as operations teams call it: every REST route (each
// binding of every annotated RPC) x every role, each role an API key made through the gateway's
// own API (the service role, which no key may hold, a token of the suite's issuer). What the
// services decide comes back as 403 naming the policy; what they let through is never 401/403.
TEST_F(AuthorisationMatrix, EveryRouteTimesEveryRoleThroughTheGatewayGetsWhatItsDeclarationSays) {
  absl::StatusOr<gateway::RouteTable> routes =
      gateway::RouteTable::Build(auth::LinkedServices("itsm."));
  ASSERT_TRUE(routes.ok()) << routes.status();
  std::string url;
  const launcher::v1::Endpoints endpoints = suite_->Endpoints();
  for (const auto& service : endpoints.services()) {
    if (service.name() == "gateway") url = service.http_url();
  }
  auto parsed = httpclient::HttpUrl::Parse(url);
  ASSERT_TRUE(parsed.ok()) << url;
  auto client = httpclient::HttpClient::Create(*parsed, {});
  ASSERT_TRUE(client.ok()) << client.status();
  auto send = [&](const gateway::RestRequest& rest, const std::string& authorization) {
    httpclient::HttpRequest request{.method = rest.http_method, .target = rest.target};
    request.body = rest.body;
    if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
    absl::StatusOr<httpclient::HttpResponse> answer = (*client)->Send(request);
    EXPECT_TRUE(answer.ok()) << rest.target << ": " << answer.status();
    return answer.ok() ? *answer : httpclient::HttpResponse{};
  };

  const std::string admin =
      suite_->Authorization({.subject = "matrix-admin", .roles = {common::v1::ROLE_ADMIN}});
  std::map<Role, std::string> authorization;
  for (Role role : EveryRole()) {
    if (role == common::v1::ROLE_SERVICE) {
      authorization[role] = suite_->Authorization({.subject = "matrix-service", .roles = {role}});
      continue;
    }
    httpclient::HttpResponse made =
        send({.http_method = "POST",
              .target = "/v1/apiKeys",
              .body = absl::StrCat(R"({"name":"matrix-)", auth::RoleName(role), R"(","roles":[")",
                                   common::v1::Role_Name(role), R"("]})")},
             admin);
    ASSERT_EQ(made.status, 200) << made.body;
    google::protobuf::Struct key;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(made.body, &key).ok()) << made.body;
    authorization[role] = absl::StrCat("Bearer ", key.fields().at("secret").string_value());
  }

  int calls = 0;
  for (const gateway::Route& route : routes->routes()) {
    std::unique_ptr<google::protobuf::Message> request(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(route.method->input_type())
            ->New());
    for (const std::string& path : route.path.VariableFieldPaths()) {
      ASSERT_TRUE(gateway::SetFieldFromText(*request, path, "matrix").ok()) << path;
    }
    absl::StatusOr<gateway::RestRequest> rest = gateway::RestRequestFor(route, *request);
    ASSERT_TRUE(rest.ok()) << route.method->full_name() << ": " << rest.status();
    const std::string what =
        absl::StrCat(rest->http_method, " ", rest->target, " (", route.method->full_name(), ")");
    if (!route.method->options().GetExtension(common::v1::access).anonymous()) {
      EXPECT_EQ(send(*rest, "").status, 401) << what;
    }
    for (const auto& [role, credential] : authorization) {
      httpclient::HttpResponse answer = send(*rest, credential);
      ++calls;
      const bool refused =
          answer.status == 403 && absl::StrContains(answer.body, "may not call it");
      EXPECT_NE(answer.status, 401)
          << what << " as " << auth::RoleName(role) << ": " << answer.body;
      if (Declared(*route.method, role)) {
        EXPECT_FALSE(refused) << what << " as " << auth::RoleName(role) << ": " << answer.body;
      } else {
        EXPECT_TRUE(refused) << what << " as " << auth::RoleName(role) << " answered "
                             << answer.status << ": " << answer.body;
      }
    }
  }
  std::cout << calls << " calls through the gateway checked\n";
  EXPECT_GT(calls, 500);
}

TEST_F(AuthorisationMatrix, TheAuditTrailNamesTheVerifiedSubjectAndARefusedWriteStoresNothing) {
  auto as = [&](const std::string& subject, Role role) {
    return incident::v1::IncidentService::NewStub(
        suite_->Channel("incident", {.subject = subject, .roles = {role}}));
  };
  auto agent = as("dana@corp", common::v1::ROLE_AGENT);
  auto viewer = as("victor@corp", common::v1::ROLE_VIEWER);
  auto count = [&] {
    grpc::ClientContext ctx;
    incident::v1::ListIncidentsResponse out;
    EXPECT_TRUE(viewer->ListIncidents(&ctx, {}, &out).ok());
    return out.incidents_size();
  };
  const int before = count();

  incident::v1::CreateIncidentRequest request;
  request.set_title("Payroll export fails");
  request.set_impact(2);
  request.set_urgency(2);
  // A forged name in the old header changes nothing: the verified subject is recorded.
  grpc::ClientContext c1;
  c1.AddMetadata("x-itsm-actor", "cfo@corp");
  c1.AddMetadata("x-itsm-verified-subject", "cfo@corp");
  incident::v1::CreateIncidentResponse created;
  grpc::Status s = agent->CreateIncident(&c1, request, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(created.incident().created_by(), "dana@corp");

  grpc::ClientContext c2;
  incident::v1::CreateIncidentResponse refused;
  s = viewer->CreateIncident(&c2, request, &refused);
  EXPECT_TRUE(RefusedByPolicy(s)) << s.error_code() << " " << s.error_message();
  EXPECT_NE(s.error_message().find("victor@corp"), std::string::npos) << s.error_message();
  EXPECT_EQ(count(), before + 1) << "the refused create stored a record";

  grpc::ClientContext c3;
  incident::v1::AssignIncidentRequest assign;
  assign.set_id(created.incident().id());
  assign.set_version(created.incident().version());
  assign.set_assignment_group("Payroll");
  incident::v1::AssignIncidentResponse assigned;
  s = agent->AssignIncident(&c3, assign, &assigned);
  ASSERT_TRUE(s.ok()) << s.error_message();

  grpc::ClientContext c4;
  incident::v1::GetHistoryRequest history;
  history.set_id(created.incident().number());
  incident::v1::GetHistoryResponse trail;
  ASSERT_TRUE(viewer->GetHistory(&c4, history, &trail).ok());
  ASSERT_EQ(trail.entries_size(), 2);
  for (const auto& entry : trail.entries()) EXPECT_EQ(entry.actor(), "dana@corp");
}

// One history RPC serves changes, templates, windows and the policy; the policy's and a window's
// trails hold them whole, so they are read by the roles that may read those records, not by
// every role the history RPC allows (a problem manager may read a change's trail, not the
// policy's).
TEST_F(AuthorisationMatrix, AHistoryIsReadByThoseWhoMayReadItsRecord) {
  auto as = [&](const std::string& subject, Role role) {
    return change::v1::ChangeService::NewStub(
        suite_->Channel("change", {.subject = subject, .roles = {role}}));
  };
  auto manager = as("cm@corp", common::v1::ROLE_CHANGE_MANAGER);
  auto problems = as("pm@corp", common::v1::ROLE_PROBLEM_MANAGER);
  auto sla = as("slm@corp", common::v1::ROLE_SLA_MANAGER);
  grpc::ClientContext c1;
  change::v1::CreateChangeWindowRequest create;
  change::v1::ChangeWindow& freeze = *create.mutable_window();
  freeze.set_name("Year-end freeze");
  freeze.set_kind(change::v1::WINDOW_KIND_BLACKOUT);
  freeze.set_time_zone("UTC");
  freeze.set_start_local_time("00:00");
  freeze.set_duration_minutes(60);
  freeze.set_valid_from("2030-12-31");
  freeze.set_valid_until("2030-12-31");
  change::v1::CreateChangeWindowResponse window;
  grpc::Status s = manager->CreateChangeWindow(&c1, create, &window);
  ASSERT_TRUE(s.ok()) << s.error_message();
  grpc::ClientContext c2;
  change::v1::CreateChangeRequest raise;
  raise.set_title("Rotate certificates");
  raise.set_type(change::v1::CHANGE_TYPE_NORMAL);
  change::v1::CreateChangeResponse raised;
  s = manager->CreateChange(&c2, raise, &raised);
  ASSERT_TRUE(s.ok()) << s.error_message();

  auto history = [&](auto& stub, const std::string& id) {
    grpc::ClientContext ctx;
    change::v1::GetChangeHistoryRequest request;
    request.set_id(id);
    change::v1::GetChangeHistoryResponse out;
    return stub->GetChangeHistory(&ctx, request, &out);
  };
  EXPECT_TRUE(history(manager, "policy").ok());
  s = history(problems, "policy");
  EXPECT_TRUE(RefusedByPolicy(s)) << s.error_code() << " " << s.error_message();
  // A window, to one who may not read windows, is not looked for: answered as no record at all,
  // so that the answer does not tell one that exists from one that does not.
  EXPECT_TRUE(history(manager, window.window().id()).ok());
  s = history(problems, window.window().id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  s = history(problems, raised.change().number());
  EXPECT_TRUE(s.ok()) << s.error_message();
  // An SLA manager reads changes, and so their trails; not the templates'.
  grpc::ClientContext c3;
  change::v1::CreateChangeTemplateRequest draft;
  draft.mutable_template_()->set_name("Restart the app pool");
  draft.mutable_template_()->set_implementation_plan("iisreset /restart");
  draft.mutable_template_()->set_risk_level(change::v1::RISK_LEVEL_LOW);
  change::v1::CreateChangeTemplateResponse tmpl;
  s = manager->CreateChangeTemplate(&c3, draft, &tmpl);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = history(sla, raised.change().number());
  EXPECT_TRUE(s.ok()) << s.error_message();
  for (const std::string& id : {tmpl.template_().id(), tmpl.template_().name()}) {
    EXPECT_TRUE(history(problems, id).ok()) << id;
    s = history(sla, id);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << id << ": " << s.error_message();
  }
}

// The same for suppliers: whoever reads suppliers reads their trails; a budget's trail only
// those who may read service costs.
TEST_F(AuthorisationMatrix, ABudgetsTrailIsReadByThoseWhoMayReadCosts) {
  auto as = [&](const std::string& subject, Role role) {
    return supplier::v1::SupplierService::NewStub(
        suite_->Channel("supplier", {.subject = subject, .roles = {role}}));
  };
  auto manager = as("vm@corp", common::v1::ROLE_SUPPLIER_MANAGER);
  auto agent = as("agent@corp", common::v1::ROLE_AGENT);
  grpc::ClientContext c1;
  supplier::v1::CreateSupplierRequest create;
  create.mutable_supplier()->set_name("Acme Hosting");
  create.mutable_supplier()->add_assignment_groups("acme-desk");
  supplier::v1::CreateSupplierResponse created;
  grpc::Status s = manager->CreateSupplier(&c1, create, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  grpc::ClientContext c2;
  supplier::v1::SetServiceBudgetRequest budget;
  budget.set_service("mail");
  budget.set_month("2030-03");
  budget.mutable_budget()->set_currency("EUR");
  budget.mutable_budget()->set_minor_units(90'000);
  supplier::v1::SetServiceBudgetResponse set;
  s = manager->SetServiceBudget(&c2, budget, &set);
  ASSERT_TRUE(s.ok()) << s.error_message();

  auto history = [&](auto& stub, const std::string& id) {
    grpc::ClientContext ctx;
    supplier::v1::GetHistoryRequest request;
    request.set_id(id);
    supplier::v1::GetHistoryResponse out;
    return stub->GetHistory(&ctx, request, &out);
  };
  s = history(agent, created.supplier().id());
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(history(manager, "budget:2030-03:mail").ok());
  s = history(agent, "budget:2030-03:mail");
  EXPECT_TRUE(RefusedByPolicy(s)) << s.error_code() << " " << s.error_message();
}

}  // namespace
}  // namespace itsm
