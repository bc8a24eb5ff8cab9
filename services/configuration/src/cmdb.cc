#include "services/configuration/src/cmdb.h"

#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/config/v1/events.pb.h"
#include "itsm/limits/field_limits.h"
#include "itsm/records/idempotency.h"
#include "itsm/records/page_cursor.h"
#include "itsm/records/page_start.h"
#include "itsm/records/record_change.h"
#include "itsm/records/unit_of_work.h"
#include "services/configuration/src/ci_model.h"
#include "services/configuration/src/config_repository.h"
#include "services/configuration/src/graph_loader.h"

namespace itsm::config {
namespace {

constexpr char kCreateCiMethod[] = "itsm.config.v1.ConfigurationService/CreateConfigurationItem";
constexpr char kListClassesMethod[] = "itsm.config.v1.ConfigurationService/ListClasses";
constexpr char kListBaselinesMethod[] = "itsm.config.v1.ConfigurationService/ListBaselines";

absl::Status Invalid(const std::string& field, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

absl::Status Publish(storage::Transaction& txn, const std::string& key,
                     const google::protobuf::Message& event, absl::Time time) {
  static const records::EventStream kEvents{kConfigTopic, kEventSource};
  return kEvents.Publish(txn, key, event, time);
}

v1::BaselineSummary SummaryOf(const v1::Baseline& b) {
  v1::BaselineSummary s;
  s.set_id(b.id());
  s.set_name(b.name());
  s.set_description(b.description());
  s.set_root_ci_id(b.root_ci_id());
  s.set_root_depth(b.root_depth());
  s.set_ci_count(b.ci_count());
  s.set_relationship_count(b.relationship_count());
  s.set_created_by(b.created_by());
  if (b.has_create_time()) *s.mutable_create_time() = b.create_time();
  return s;
}

absl::Status Record(storage::Transaction& txn, const base::Caller& caller, absl::Time now,
                    const std::string& subject_id, v1::SubjectType type, int64_t version,
                    const std::string& action, std::vector<common::v1::FieldChange> changes,
                    const std::string& ci_a, const std::string& ci_b) {
  v1::HistoryEntry entry;
  entry.set_subject_id(subject_id);
  entry.set_subject_type(type);
  *entry.mutable_entry() = records::AuditEntryFor(caller, version, now, action, std::move(changes));
  return ConfigRepository::AppendHistory(txn, entry, ci_a, ci_b);
}

CiResolver ResolverFor(storage::Transaction& txn) {
  return [&txn](const std::string& key) -> absl::StatusOr<std::optional<ResolvedCi>> {
    ITSM_ASSIGN_OR_RETURN(auto ci, ConfigRepository::FindCi(txn, key));
    if (!ci) return std::nullopt;
    return ResolvedCi{ci->id(), ci->class_name(), ci->status()};
  };
}

// Into `s` where it is, which may be on the response's arena (a summary built apart and assigned
// would be copied there).
void Summarise(const GraphNode& n, v1::CiSummary& s) {
  s.set_id(n.id);
  s.set_class_name(n.class_name);
  s.set_name(n.name);
  s.set_status(n.status);
  s.set_business_criticality(n.criticality);
}

v1::CiSummary Summary(const v1::ConfigurationItem& ci) {
  v1::CiSummary s;
  s.set_id(ci.id());
  s.set_class_name(ci.class_name());
  s.set_name(ci.name());
  s.set_status(ci.status());
  s.set_business_criticality(ci.business_criticality());
  return s;
}

std::vector<std::string> ChangedFields(const std::vector<common::v1::FieldChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(c.field());
  return out;
}

absl::Status CheckText(const std::string& field, const std::string& value, size_t max) {
  if (Utf8Length(value) > max) return Invalid(field, absl::StrCat("at most ", max, " characters"));
  return absl::OkStatus();
}

// Relationship identity for drift: a relationship deleted and added again is the same one.
using RelKey = std::tuple<std::string, std::string, int>;
RelKey KeyOf(const v1::Relationship& r) { return {r.source_id(), r.target_id(), r.type()}; }

}  // namespace

absl::Status Cmdb::Load() {
  ITSM_RETURN_IF_ERROR(ReloadClasses());
  return RefreshGraph();
}

std::shared_ptr<const ClassCatalog> Cmdb::catalog() const {
  absl::MutexLock lock(&catalog_mu_);
  return catalog_;
}

absl::Status Cmdb::ReloadClasses() {
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(auto classes, ConfigRepository::LoadClasses(*txn));
  ITSM_ASSIGN_OR_RETURN(ClassCatalog built, ClassCatalog::Build(std::move(classes)));
  absl::MutexLock lock(&catalog_mu_);
  catalog_ = std::make_shared<const ClassCatalog>(std::move(built));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const ClassCatalog>> Cmdb::CatalogFor(
    storage::Transaction& txn, const std::string& class_name) {
  auto current = catalog();
  if (current != nullptr && (class_name.empty() || current->Find(class_name) != nullptr)) {
    return current;
  }
  ITSM_ASSIGN_OR_RETURN(auto classes, ConfigRepository::LoadClasses(txn));
  ITSM_ASSIGN_OR_RETURN(ClassCatalog built, ClassCatalog::Build(std::move(classes)));
  return std::make_shared<const ClassCatalog>(std::move(built));
}

absl::Status Cmdb::RefreshGraph() {
  absl::MutexLock refresh(&refresh_mu_);
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(int64_t head, ConfigRepository::GraphHead(*txn));
  int64_t applied;
  {
    absl::ReaderMutexLock lock(&graph_mu_);
    applied = graph_seq_;
  }
  if (head <= applied) return absl::OkStatus();
  auto apply = [this](GraphPage& page) ABSL_EXCLUSIVE_LOCKS_REQUIRED(graph_mu_) {
    for (GraphNode& n : page.nodes) graph_.UpsertNode(std::move(n));
    for (const GraphEdgeRow& r : page.relations) {
      if (r.deleted) {
        graph_.RemoveEdge(r.id);
      } else {
        graph_.AddEdge(r.id, r.type, r.source_id, r.target_id);
      }
    }
  };
  if (applied == 0) {
    // The first load: straight into the graph, page by page as they are read, with no copy of
    // every row (twice the graph's memory at the peak). Readers wait for it: there is nothing to
    // read before it.
    absl::MutexLock lock(&graph_mu_);
    ITSM_RETURN_IF_ERROR(LoadGraphOverlapped(
        *txn, head,
        [&](GraphPage& page) ABSL_EXCLUSIVE_LOCKS_REQUIRED(graph_mu_) { apply(page); }));
    graph_seq_ = head;
    return absl::OkStatus();
  }
  // A catch-up: the rows changed since are read first, so that readers are blocked only while
  // they are applied.
  std::vector<GraphPage> pages;
  ITSM_RETURN_IF_ERROR(ConfigRepository::ScanGraph(
      *txn, applied, head, [&](GraphPage& page) { pages.push_back(std::move(page)); }));
  absl::MutexLock lock(&graph_mu_);
  for (GraphPage& page : pages) apply(page);
  graph_seq_ = head;
  return absl::OkStatus();
}

size_t Cmdb::graph_nodes() const {
  absl::ReaderMutexLock lock(&graph_mu_);
  return graph_.node_count();
}

size_t Cmdb::graph_edges() const {
  absl::ReaderMutexLock lock(&graph_mu_);
  return graph_.edge_count();
}

// ---- classes ----

absl::Status Cmdb::CreateClass(storage::Transaction& txn, const base::Caller& caller,
                               v1::CiClass& c) {
  // Always from the transaction: another replica may have just created the parent or the name.
  ITSM_ASSIGN_OR_RETURN(auto classes, ConfigRepository::LoadClasses(txn));
  ITSM_ASSIGN_OR_RETURN(ClassCatalog current, ClassCatalog::Build(std::move(classes)));
  c.clear_effective_attributes();
  c.set_system(false);
  ITSM_RETURN_IF_ERROR(current.ValidateNewClass(c));
  const absl::Time now = clock_.Now();
  c.set_created_by(caller.actor);
  *c.mutable_create_time() = base::ToProtoTimestamp(now);
  ITSM_RETURN_IF_ERROR(ConfigRepository::InsertClass(txn, c));
  std::vector<v1::CiClass> with_new = current.All();
  with_new.push_back(c);
  ITSM_ASSIGN_OR_RETURN(ClassCatalog next, ClassCatalog::Build(std::move(with_new)));
  c = *next.Find(c.name());
  ITSM_RETURN_IF_ERROR(
      Record(txn, caller, now, c.name(), v1::SUBJECT_TYPE_CLASS, 1, "created", {}, "", ""));
  v1::CiClassCreated event;
  event.set_actor(caller.actor);
  *event.mutable_ci_class() = c;
  return Publish(txn, c.name(), event, now);
}

absl::StatusOr<v1::CiClass> Cmdb::GetClass(const std::string& name) {
  if (name.empty()) return Invalid("name", "required");
  auto current = catalog();
  if (current->Find(name) == nullptr) {
    ITSM_RETURN_IF_ERROR(ReloadClasses());
    current = catalog();
  }
  const v1::CiClass* c = current->Find(name);
  if (c == nullptr) return absl::NotFoundError(absl::StrCat("name: no class \"", name, "\""));
  return *c;
}

absl::StatusOr<std::set<std::string>> Cmdb::ClassFilter(
    const google::protobuf::RepeatedPtrField<std::string>& class_names) {
  // A statement's parameter list, and a report's filter, stay bounded however the catalog grows.
  constexpr size_t kMaxFilterClasses = 500;
  std::set<std::string> classes;
  for (int i = 0; i < class_names.size(); ++i) {
    const std::string field = absl::StrCat("class_names[", i, "]");
    const std::string& name = class_names[i];
    if (name.empty()) return Invalid(field, "required");
    absl::StatusOr<v1::CiClass> found = GetClass(name);
    if (absl::IsNotFound(found.status())) {
      return Invalid(field, absl::StrCat("no class \"", name, "\""));
    }
    ITSM_RETURN_IF_ERROR(found.status());
    for (std::string& sub : catalog()->WithSubclasses(name)) classes.insert(std::move(sub));
    if (classes.size() > kMaxFilterClasses) {
      return Invalid("class_names", absl::StrCat("more than ", kMaxFilterClasses,
                                                 " classes with their subclasses"));
    }
  }
  return classes;
}

absl::StatusOr<v1::ListClassesResponse> Cmdb::ListClasses(const v1::ListClassesRequest& request) {
  ITSM_ASSIGN_OR_RETURN(int page_size, PageSize(request.page()));
  // A token holds the name of the last class returned.
  const std::string scope = records::PageScope(kListClassesMethod, request);
  ITSM_ASSIGN_OR_RETURN(auto after, records::DecodePageCursor(scope, request.page().page_token()));
  if (!after.empty() && (after.size() != 1 || after[0].empty())) return BadToken();
  (void)ReloadClasses();  // cheap (tens of rows) and picks up other replicas' classes
  std::vector<v1::CiClass> classes =
      catalog()->After(after.empty() ? "" : after[0], static_cast<size_t>(page_size) + 1);
  v1::ListClassesResponse out;
  size_t bytes = 0;
  for (auto& c : classes) {
    if (out.classes_size() == page_size) break;  // the one more read says whether a page follows
    const size_t size = c.ByteSizeLong();
    if (out.classes_size() > 0 && bytes + size > kMaxPageBytes) break;
    bytes += size;
    *out.add_classes() = std::move(c);
  }
  if (static_cast<size_t>(out.classes_size()) < classes.size()) {
    out.set_next_page_token(records::EncodePageCursor(scope, {out.classes().rbegin()->name()}));
  }
  return out;
}

// ---- CIs ----

absl::StatusOr<v1::ConfigurationItem> Cmdb::WriteNewCi(storage::Transaction& txn,
                                                       const base::Caller& caller,
                                                       v1::ConfigurationItem ci,
                                                       int64_t graph_seq) {
  const absl::Time now = clock_.Now();
  if (ci.id().empty()) ci.set_id(base::NewUuid());
  ci.set_created_by(caller.actor);
  *ci.mutable_create_time() = base::ToProtoTimestamp(now);
  *ci.mutable_update_time() = base::ToProtoTimestamp(now);
  ci.set_version(1);
  ITSM_RETURN_IF_ERROR(ConfigRepository::InsertCi(txn, ci, graph_seq));
  ITSM_RETURN_IF_ERROR(Record(txn, caller, now, ci.id(), v1::SUBJECT_TYPE_CONFIGURATION_ITEM, 1,
                              "created", DiffCi({}, ci), ci.id(), ""));
  v1::CiCreated event;
  event.set_actor(caller.actor);
  *event.mutable_configuration_item() = ci;
  ITSM_RETURN_IF_ERROR(Publish(txn, ci.id(), event, now));
  return ci;
}

absl::Status Cmdb::WriteCiUpdate(storage::Transaction& txn, const base::Caller& caller,
                                 const v1::ConfigurationItem& before, v1::ConfigurationItem& next,
                                 int64_t graph_seq) {
  const absl::Time now = clock_.Now();
  auto changes = DiffCi(before, next);
  next.set_version(before.version() + 1);
  *next.mutable_update_time() = base::ToProtoTimestamp(now);
  ITSM_RETURN_IF_ERROR(ConfigRepository::UpdateCi(txn, next, before.version(), graph_seq));
  const bool retired = next.status() == v1::LIFECYCLE_STATUS_RETIRED;
  const std::vector<std::string> fields = ChangedFields(changes);
  ITSM_RETURN_IF_ERROR(Record(txn, caller, now, next.id(), v1::SUBJECT_TYPE_CONFIGURATION_ITEM,
                              next.version(), retired ? "retired" : "updated", std::move(changes),
                              next.id(), ""));
  if (retired) {
    v1::CiRetired event;
    event.set_actor(caller.actor);
    *event.mutable_configuration_item() = next;
    for (const auto& f : fields) event.add_changed_fields(f);
    return Publish(txn, next.id(), event, now);
  }
  v1::CiUpdated event;
  event.set_actor(caller.actor);
  *event.mutable_configuration_item() = next;
  for (const auto& f : fields) event.add_changed_fields(f);
  return Publish(txn, next.id(), event, now);
}

absl::Status Cmdb::CreateCi(storage::Transaction& txn, const base::Caller& caller,
                            const v1::CreateConfigurationItemRequest& request,
                            v1::ConfigurationItem& out) {
  const records::IdempotentCall call = records::IdempotentCallOf(kCreateCiMethod, request);
  // The CI's id is chosen now, so that the key can be claimed before anything is written.
  const std::string id = base::NewUuid();
  ITSM_ASSIGN_OR_RETURN(auto claim,
                        records::IdempotencyStore::Claim(txn, call.method, caller.actor, call.key,
                                                         call.fingerprint, id, clock_.Now()));
  if (!claim.first) {
    ITSM_ASSIGN_OR_RETURN(auto ci, ConfigRepository::FindCi(txn, claim.record_id));
    if (!ci) return absl::InternalError("idempotency key names a missing CI");
    out = *ci;
    return absl::OkStatus();
  }
  ITSM_ASSIGN_OR_RETURN(auto cat, CatalogFor(txn, request.class_name()));
  ITSM_ASSIGN_OR_RETURN(v1::ConfigurationItem ci, CiFromCreate(*cat, request, ResolverFor(txn)));
  ITSM_ASSIGN_OR_RETURN(auto existing,
                        ConfigRepository::FindCiByName(txn, ci.class_name(), ci.name()));
  if (existing) {
    return absl::AlreadyExistsError(absl::StrCat("name: a ", ci.class_name(), " named \"",
                                                 ci.name(), "\" exists (id ", existing->id(), ")"));
  }
  ITSM_ASSIGN_OR_RETURN(int64_t seq, ConfigRepository::NextGraphSeq(txn));
  ci.set_id(id);
  ITSM_ASSIGN_OR_RETURN(out, WriteNewCi(txn, caller, std::move(ci), seq));
  return absl::OkStatus();
}

absl::Status Cmdb::UpdateCi(storage::Transaction& txn, const base::Caller& caller,
                            const v1::UpdateConfigurationItemRequest& request,
                            v1::ConfigurationItem& out) {
  const auto& in = request.configuration_item();
  if (in.id().empty()) return Invalid("configuration_item.id", "required");
  if (in.version() <= 0)
    return Invalid("configuration_item.version", "required: the version that was read");
  ITSM_ASSIGN_OR_RETURN(auto current, ConfigRepository::FindCi(txn, in.id()));
  if (!current)
    return absl::NotFoundError(absl::StrCat("configuration_item.id: no CI \"", in.id(), "\""));
  if (current->version() != in.version()) {
    return absl::AbortedError(absl::StrCat("configuration_item.version: CI is at version ",
                                           current->version(), ", not ", in.version(),
                                           "; read it again and retry"));
  }
  ITSM_ASSIGN_OR_RETURN(auto cat, CatalogFor(txn, current->class_name()));
  ITSM_ASSIGN_OR_RETURN(v1::ConfigurationItem next,
                        ApplyUpdate(*cat, *current, request, ResolverFor(txn)));
  if (DiffCi(*current, next).empty()) {
    out = *current;  // nothing to change: no new version, no event
    return absl::OkStatus();
  }
  if (next.name() != current->name()) {
    ITSM_ASSIGN_OR_RETURN(auto clash,
                          ConfigRepository::FindCiByName(txn, next.class_name(), next.name()));
    if (clash) {
      return absl::AlreadyExistsError(absl::StrCat("configuration_item.name: a ", next.class_name(),
                                                   " named \"", next.name(), "\" exists"));
    }
  }
  ITSM_ASSIGN_OR_RETURN(int64_t seq, ConfigRepository::NextGraphSeq(txn));
  ITSM_RETURN_IF_ERROR(WriteCiUpdate(txn, caller, *current, next, seq));
  out = std::move(next);
  return absl::OkStatus();
}

absl::StatusOr<v1::ConfigurationItem> Cmdb::GetCi(const std::string& id_or_key) {
  if (id_or_key.empty()) return Invalid("id", "required");
  ITSM_RETURN_IF_ERROR(CheckText("id", id_or_key, 2 * kMaxShortText));
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(auto ci, ConfigRepository::FindCi(*txn, id_or_key));
  if (!ci) return absl::NotFoundError(absl::StrCat("id: no CI \"", id_or_key, "\""));
  return *ci;
}

absl::StatusOr<v1::ListConfigurationItemsResponse> Cmdb::ListCis(
    const v1::ListConfigurationItemsRequest& request) {
  ITSM_RETURN_IF_ERROR(CheckText("name_contains", request.name_contains(), kMaxShortText));
  ITSM_RETURN_IF_ERROR(CheckText("name", request.name(), kMaxShortText));
  ITSM_RETURN_IF_ERROR(CheckText("owner_group", request.owner_group(), kMaxShortText));
  ITSM_ASSIGN_OR_RETURN(const std::set<std::string> filter, ClassFilter(request.class_names()));
  const std::vector<std::string> classes(filter.begin(), filter.end());
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(CiPage page, ConfigRepository::ListCis(*txn, request, classes));
  v1::ListConfigurationItemsResponse out;
  for (auto& ci : page.items) *out.add_configuration_items() = std::move(ci);
  out.set_next_page_token(page.next_page_token);
  return out;
}

// ---- relationships ----

absl::StatusOr<v1::Relationship> Cmdb::WriteNewRelationship(
    storage::Transaction& txn, const base::Caller& caller, const v1::ConfigurationItem& source,
    const v1::ConfigurationItem& target, v1::RelationshipType type, const std::string& description,
    int64_t graph_seq) {
  const absl::Time now = clock_.Now();
  v1::Relationship r;
  r.set_id(base::NewUuid());
  r.set_type(type);
  r.set_source_id(source.id());
  r.set_target_id(target.id());
  r.set_description(description);
  r.set_created_by(caller.actor);
  *r.mutable_create_time() = base::ToProtoTimestamp(now);
  ITSM_RETURN_IF_ERROR(ConfigRepository::InsertRelationship(txn, r, graph_seq));
  std::vector<common::v1::FieldChange> changes(3);
  changes[0].set_field("type");
  changes[0].set_new_value(RelationshipTypeName(type));
  changes[1].set_field("source_id");
  changes[1].set_new_value(source.id());
  changes[2].set_field("target_id");
  changes[2].set_new_value(target.id());
  ITSM_RETURN_IF_ERROR(Record(txn, caller, now, r.id(), v1::SUBJECT_TYPE_RELATIONSHIP, 1, "created",
                              std::move(changes), source.id(), target.id()));
  v1::RelationshipCreated event;
  event.set_actor(caller.actor);
  *event.mutable_relationship() = r;
  ITSM_RETURN_IF_ERROR(Publish(txn, r.id(), event, now));
  return r;
}

namespace {

// A relationship end: it must exist and not be retired.
// The CI a relationship's end names, retired or not.
absl::StatusOr<v1::ConfigurationItem> AnyEndpoint(storage::Transaction& txn,
                                                  const std::string& field,
                                                  const std::string& key) {
  if (key.empty()) return Invalid(field, "required");
  ITSM_RETURN_IF_ERROR(CheckText(field, key, 2 * kMaxShortText));
  ITSM_ASSIGN_OR_RETURN(auto ci, ConfigRepository::FindCi(txn, key));
  if (!ci) return Invalid(field, absl::StrCat("no CI \"", key, "\""));
  return *ci;
}

absl::Status CheckNotRetired(const v1::ConfigurationItem& ci, const std::string& field,
                             const std::string& key) {
  if (ci.status() == v1::LIFECYCLE_STATUS_RETIRED) {
    return Invalid(field, absl::StrCat("CI \"", key, "\" is retired"));
  }
  return absl::OkStatus();
}

// The CI a new relationship's end names: not retired.
absl::StatusOr<v1::ConfigurationItem> Endpoint(storage::Transaction& txn, const std::string& field,
                                               const std::string& key) {
  ITSM_ASSIGN_OR_RETURN(auto ci, AnyEndpoint(txn, field, key));
  ITSM_RETURN_IF_ERROR(CheckNotRetired(ci, field, key));
  return ci;
}

absl::Status CheckType(v1::RelationshipType type) {
  if (type == v1::RELATIONSHIP_TYPE_UNSPECIFIED) {
    return Invalid("type", "required (depends_on, runs_on, connected_to, member_of)");
  }
  if (!v1::RelationshipType_IsValid(type)) {
    return Invalid("type", absl::StrCat("unknown type ", static_cast<int>(type),
                                        " (depends_on, runs_on, connected_to, member_of)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Cmdb::CreateRelationship(storage::Transaction& txn, const base::Caller& caller,
                                      const v1::CreateRelationshipRequest& request,
                                      v1::Relationship& out) {
  ITSM_RETURN_IF_ERROR(CheckType(request.type()));
  ITSM_RETURN_IF_ERROR(CheckText("description", request.description(), kMaxDescription));
  ITSM_ASSIGN_OR_RETURN(auto source, Endpoint(txn, "source_id", request.source_id()));
  ITSM_ASSIGN_OR_RETURN(auto target, Endpoint(txn, "target_id", request.target_id()));
  if (source.id() == target.id()) return Invalid("target_id", "a CI cannot relate to itself");
  ITSM_ASSIGN_OR_RETURN(auto cat, CatalogFor(txn, target.class_name()));
  if (request.type() == v1::RELATIONSHIP_TYPE_MEMBER_OF &&
      !cat->IsA(target.class_name(), "cluster")) {
    return Invalid("target_id",
                   absl::StrCat("member_of needs a cluster, not a ", target.class_name()));
  }
  ITSM_ASSIGN_OR_RETURN(auto existing, ConfigRepository::FindCurrentRelationship(
                                           txn, source.id(), target.id(), request.type()));
  if (existing) {
    return absl::AlreadyExistsError(
        absl::StrCat("type: ", source.name(), " already ", RelationshipTypeName(request.type()),
                     " ", target.name(), " (relationship ", existing->id(), ")"));
  }
  ITSM_ASSIGN_OR_RETURN(int64_t seq, ConfigRepository::NextGraphSeq(txn));
  ITSM_ASSIGN_OR_RETURN(out, WriteNewRelationship(txn, caller, source, target, request.type(),
                                                  request.description(), seq));
  return absl::OkStatus();
}

absl::Status Cmdb::DeleteRelationship(storage::Transaction& txn, const base::Caller& caller,
                                      const std::string& id, v1::Relationship& out) {
  if (id.empty()) return Invalid("id", "required");
  ITSM_RETURN_IF_ERROR(CheckText("id", id, kMaxShortText));
  ITSM_ASSIGN_OR_RETURN(auto stored, ConfigRepository::FindRelationship(txn, id));
  if (!stored || stored->deleted) {
    return absl::NotFoundError(absl::StrCat("id: no current relationship \"", id, "\""));
  }
  ITSM_ASSIGN_OR_RETURN(int64_t seq, ConfigRepository::NextGraphSeq(txn));
  ITSM_ASSIGN_OR_RETURN(bool deleted, ConfigRepository::MarkRelationshipDeleted(txn, id, seq));
  if (!deleted)
    return absl::NotFoundError(absl::StrCat("id: no current relationship \"", id, "\""));
  const absl::Time now = clock_.Now();
  out = stored->relationship;
  ITSM_RETURN_IF_ERROR(Record(txn, caller, now, id, v1::SUBJECT_TYPE_RELATIONSHIP, 2, "deleted", {},
                              out.source_id(), out.target_id()));
  v1::RelationshipDeleted event;
  event.set_actor(caller.actor);
  *event.mutable_relationship() = out;
  return Publish(txn, id, event, now);
}

absl::StatusOr<v1::ListRelationshipsResponse> Cmdb::ListRelationships(const std::string& ci_id) {
  if (ci_id.empty()) return Invalid("ci_id", "required");
  ITSM_RETURN_IF_ERROR(CheckText("ci_id", ci_id, 2 * kMaxShortText));
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(auto ci, ConfigRepository::FindCi(*txn, ci_id));
  if (!ci) return absl::NotFoundError(absl::StrCat("ci_id: no CI \"", ci_id, "\""));
  // Bounded: a hub CI may have tens of thousands of relationships, and an answer over gRPC's
  // 4 MiB would reach nobody.
  constexpr int64_t kMaxEachWay = 1000;
  v1::ListRelationshipsResponse out;
  size_t bytes = 0;
  for (const bool outgoing : {true, false}) {
    ITSM_ASSIGN_OR_RETURN(auto rels, ConfigRepository::RelationshipsOneWay(*txn, ci->id(), outgoing,
                                                                           kMaxEachWay + 1));
    if (static_cast<int64_t>(rels.size()) > kMaxEachWay) {
      rels.pop_back();
      out.set_truncated(true);
    }
    for (auto& r : rels) {
      bytes += r.ByteSizeLong();
      if (bytes > records::kMaxPageBytes) {
        out.set_truncated(true);
        break;
      }
      *(outgoing ? out.add_outgoing() : out.add_incoming()) = std::move(r);
    }
  }
  return out;
}

// ---- impact ----

absl::Status Cmdb::AnalyzeImpact(const v1::AnalyzeImpactRequest& request,
                                 v1::AnalyzeImpactResponse& out) {
  if (request.ci_id().empty()) return Invalid("ci_id", "required");
  ITSM_RETURN_IF_ERROR(CheckText("ci_id", request.ci_id(), 2 * kMaxShortText));
  if (!v1::ImpactDirection_IsValid(request.direction())) {
    return Invalid("direction", absl::StrCat("unknown direction ", request.direction()));
  }
  if (request.max_depth() < 0 || request.max_depth() > kMaxDepth) {
    return Invalid("max_depth",
                   absl::StrCat("must be 0..", kMaxDepth, ", got ", request.max_depth()));
  }
  if (request.max_results() < 0 || request.max_results() > kMaxImpactResults) {
    return Invalid("max_results",
                   absl::StrCat("must be 0..", kMaxImpactResults, ", got ", request.max_results()));
  }
  ImpactQuery query;
  query.direction = request.direction() == v1::IMPACT_DIRECTION_UPSTREAM ? Direction::kUpstream
                                                                         : Direction::kDownstream;
  query.max_depth = request.max_depth() == 0 ? kDefaultDepth : request.max_depth();
  query.max_results = request.max_results() == 0 ? 1000 : request.max_results();
  ITSM_ASSIGN_OR_RETURN(query.report_classes, ClassFilter(request.class_names()));
  for (int t : request.relationship_types()) {
    if (!CheckType(static_cast<v1::RelationshipType>(t)).ok()) {
      return Invalid("relationship_types", absl::StrCat("unknown type ", t));
    }
    query.types.insert(static_cast<v1::RelationshipType>(t));
  }
  ITSM_RETURN_IF_ERROR(RefreshGraph());
  query.origin = request.ci_id();
  {
    absl::ReaderMutexLock lock(&graph_mu_);
    if (graph_.Find(query.origin) < 0) query.origin.clear();
  }
  if (query.origin.empty()) {
    // Not an id: a "class_name/name" key (or unknown).
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(auto ci, ConfigRepository::FindCi(*txn, request.ci_id()));
    if (!ci) return absl::NotFoundError(absl::StrCat("ci_id: no CI \"", request.ci_id(), "\""));
    query.origin = ci->id();
  }
  absl::ReaderMutexLock lock(&graph_mu_);
  ImpactResult result = graph_.Traverse(query);
  if (result.origin < 0) {
    return absl::NotFoundError(absl::StrCat("ci_id: no CI \"", request.ci_id(), "\""));
  }
  out.Clear();
  Summarise(graph_.node(result.origin), *out.mutable_origin());
  out.set_truncated(result.truncated);
  out.set_depth_limited(result.beyond_depth);
  out.mutable_items()->Reserve(static_cast<int>(result.hits.size()));
  // 10,000 items, each with its path of up to 12 CI summaries, can pass gRPC's 4 MiB: the
  // answer keeps the nearest ones (hits come by depth) and says it is truncated.
  size_t bytes = out.ByteSizeLong();
  for (const ImpactHit& hit : result.hits) {
    v1::ImpactedItem* item = out.add_items();
    Summarise(graph_.node(hit.node), *item->mutable_ci());
    item->set_depth(hit.depth);
    item->mutable_path()->Reserve(static_cast<int>(hit.path.size()));
    for (const ImpactHop& hop : hit.path) {
      v1::PathStep* step = item->add_path();
      Summarise(graph_.node(hop.node), *step->mutable_ci());
      const GraphRelation& rel = graph_.relation(hop.relation);
      step->set_relationship_id(graph_.RelationId(hop.relation));
      step->set_relationship_type(rel.type);
    }
    bytes += item->ByteSizeLong() + 6;  // with its field tag and length
    if (bytes > records::kMaxPageBytes) {
      out.mutable_items()->RemoveLast();
      out.set_truncated(true);
      break;
    }
  }
  return absl::OkStatus();
}

// ---- history ----

absl::StatusOr<v1::ListHistoryResponse> Cmdb::ListHistory(const v1::ListHistoryRequest& request) {
  if (request.subject_id().empty()) return Invalid("subject_id", "required");
  ITSM_RETURN_IF_ERROR(CheckText("subject_id", request.subject_id(), 2 * kMaxShortText));
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  std::string subject = request.subject_id();
  if (subject.find('/') != std::string::npos) {
    ITSM_ASSIGN_OR_RETURN(auto ci, ConfigRepository::FindCi(*txn, subject));
    if (!ci) return absl::NotFoundError(absl::StrCat("subject_id: no CI \"", subject, "\""));
    subject = ci->id();
  }
  ITSM_ASSIGN_OR_RETURN(HistoryPage page,
                        ConfigRepository::ListHistory(
                            *txn, subject, request.include_relationships(), request.page()));
  // Every CI, relationship and baseline has its creation in its trail; the shipped classes have
  // none. A first page without entries for anything else names nothing, and says so.
  if (page.entries.empty() && request.page().page_token().empty() && !GetClass(subject).ok()) {
    return absl::NotFoundError(absl::StrCat("subject_id: no CI, relationship, class or baseline \"",
                                            request.subject_id(), "\""));
  }
  v1::ListHistoryResponse out;
  for (auto& e : page.entries) *out.add_entries() = std::move(e);
  out.set_next_page_token(page.next_page_token);
  return out;
}

// ---- baselines ----

absl::StatusOr<std::vector<std::string>> Cmdb::RootScope(const std::string& root_id, int depth) {
  ITSM_RETURN_IF_ERROR(RefreshGraph());
  ImpactQuery query;
  query.origin = root_id;
  query.direction = Direction::kUpstream;
  query.max_depth = depth;
  query.max_results = kMaxBaselineCis;
  query.through_retired = true;
  absl::ReaderMutexLock lock(&graph_mu_);
  ImpactResult result = graph_.Traverse(query);
  if (result.truncated) {
    return Invalid("root_depth",
                   absl::StrCat("the scope holds more than ", kMaxBaselineCis, " CIs"));
  }
  std::vector<std::string> ids = {root_id};
  for (const auto& hit : result.hits) ids.push_back(graph_.node(hit.node).id);
  return ids;
}

absl::Status Cmdb::CreateBaseline(storage::Transaction& txn, const base::Caller& caller,
                                  const v1::CreateBaselineRequest& request, v1::Baseline& out) {
  if (request.name().empty()) return Invalid("name", "required");
  ITSM_RETURN_IF_ERROR(CheckText("name", request.name(), kMaxShortText));
  // Baselines are opened by id or name: a name with the form of an id would open another
  // baseline by that id, and outer blanks make two names look the same.
  if (base::IsUuid(request.name())) {
    return Invalid("name", "has the form of an id (baselines are opened by id or name)");
  }
  if (base::HasOuterBlank(request.name())) {
    return Invalid("name", "begins or ends with blanks");
  }
  ITSM_RETURN_IF_ERROR(CheckText("description", request.description(), kMaxDescription));
  if (request.ci_ids().empty() == request.root_ci_id().empty()) {
    return Invalid("ci_ids", "give either ci_ids or root_ci_id");
  }
  if (request.ci_ids_size() > kMaxBaselineCis) {
    return Invalid("ci_ids", absl::StrCat("at most ", kMaxBaselineCis));
  }
  if (request.root_depth() < 0 || request.root_depth() > kMaxDepth) {
    return Invalid("root_depth", absl::StrCat("must be 0..", kMaxDepth));
  }
  v1::Baseline b;
  b.set_id(base::NewUuid());
  b.set_name(request.name());
  b.set_description(request.description());
  std::vector<std::string> scope;
  if (!request.root_ci_id().empty()) {
    ITSM_ASSIGN_OR_RETURN(auto root, Endpoint(txn, "root_ci_id", request.root_ci_id()));
    b.set_root_ci_id(root.id());
    b.set_root_depth(request.root_depth() == 0 ? kDefaultDepth : request.root_depth());
    ITSM_ASSIGN_OR_RETURN(scope, RootScope(root.id(), b.root_depth()));
  } else {
    std::set<std::string> listed;
    for (int i = 0; i < request.ci_ids_size(); ++i) {
      const std::string field = absl::StrCat("ci_ids[", i, "]");
      ITSM_RETURN_IF_ERROR(CheckText(field, request.ci_ids(i), 2 * kMaxShortText));
      ITSM_ASSIGN_OR_RETURN(auto ci, ConfigRepository::FindCi(txn, request.ci_ids(i)));
      if (!ci) return Invalid(field, absl::StrCat("no CI \"", request.ci_ids(i), "\""));
      // By the CI it names, so an id and its class/name are the same entry: a list and its
      // count that disagree would misstate the baseline (found from outside).
      if (!listed.insert(ci->id()).second) {
        return Invalid(field, absl::StrCat("\"", request.ci_ids(i), "\" is listed twice"));
      }
      scope.push_back(ci->id());
      b.add_ci_ids(ci->id());
    }
  }
  std::set<std::string> in_scope(scope.begin(), scope.end());
  std::vector<v1::ConfigurationItem> cis;
  std::map<std::string, v1::Relationship> rels;
  for (const auto& id : in_scope) {
    ITSM_ASSIGN_OR_RETURN(auto ci, ConfigRepository::FindCi(txn, id));
    if (!ci) continue;
    cis.push_back(*ci);
    ITSM_ASSIGN_OR_RETURN(auto of, ConfigRepository::RelationshipsOf(txn, id));
    for (auto& r : of) {
      if (in_scope.contains(r.source_id()) && in_scope.contains(r.target_id())) rels[r.id()] = r;
    }
  }
  std::vector<v1::Relationship> rel_list;
  for (auto& [id, r] : rels) rel_list.push_back(std::move(r));
  const absl::Time now = clock_.Now();
  b.set_ci_count(static_cast<int>(cis.size()));
  b.set_relationship_count(static_cast<int>(rel_list.size()));
  b.set_created_by(caller.actor);
  *b.mutable_create_time() = base::ToProtoTimestamp(now);
  ITSM_RETURN_IF_ERROR(ConfigRepository::InsertBaseline(txn, b, cis, rel_list));
  ITSM_RETURN_IF_ERROR(
      Record(txn, caller, now, b.id(), v1::SUBJECT_TYPE_BASELINE, 1, "created", {}, "", ""));
  v1::BaselineCreated event;
  event.set_actor(caller.actor);
  *event.mutable_baseline() = SummaryOf(b);
  ITSM_RETURN_IF_ERROR(Publish(txn, b.id(), event, now));
  out = std::move(b);
  return absl::OkStatus();
}

absl::StatusOr<v1::Baseline> Cmdb::FindBaseline(storage::Transaction& txn,
                                                const std::string& baseline) {
  if (baseline.empty()) return Invalid("baseline", "required");
  ITSM_RETURN_IF_ERROR(CheckText("baseline", baseline, kMaxShortText));
  ITSM_ASSIGN_OR_RETURN(auto found, ConfigRepository::FindBaseline(txn, baseline));
  if (!found) return absl::NotFoundError(absl::StrCat("baseline: no baseline \"", baseline, "\""));
  return *std::move(found);
}

absl::StatusOr<v1::Baseline> Cmdb::GetBaseline(const v1::GetBaselineRequest& request) {
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  return FindBaseline(*txn, request.baseline());
}

absl::StatusOr<v1::ListBaselinesResponse> Cmdb::ListBaselines(
    const v1::ListBaselinesRequest& request) {
  ITSM_ASSIGN_OR_RETURN(int page_size, PageSize(request.page()));
  // A token holds the name of the last baseline returned.
  const std::string scope = records::PageScope(kListBaselinesMethod, request);
  ITSM_ASSIGN_OR_RETURN(auto after, records::DecodePageCursor(scope, request.page().page_token()));
  if (!after.empty() && (after.size() != 1 || after[0].empty())) return BadToken();
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(
      std::vector<v1::Baseline> baselines,
      ConfigRepository::ListBaselines(*txn, after.empty() ? "" : after[0], page_size + 1));
  v1::ListBaselinesResponse out;
  size_t bytes = 0;
  for (const auto& b : baselines) {
    if (out.baselines_size() == page_size) break;  // the one more read says whether a page follows
    v1::BaselineSummary summary = SummaryOf(b);
    const size_t size = summary.ByteSizeLong();
    if (out.baselines_size() > 0 && bytes + size > kMaxPageBytes) break;
    bytes += size;
    *out.add_baselines() = std::move(summary);
  }
  if (static_cast<size_t>(out.baselines_size()) < baselines.size()) {
    out.set_next_page_token(records::EncodePageCursor(scope, {out.baselines().rbegin()->name()}));
  }
  return out;
}

absl::StatusOr<v1::DiffBaselineResponse> Cmdb::DiffBaseline(
    const v1::DiffBaselineRequest& request) {
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(const v1::Baseline baseline, FindBaseline(*txn, request.baseline()));
  ITSM_ASSIGN_OR_RETURN(auto snapshot, ConfigRepository::BaselineItems(*txn, baseline.id()));
  ITSM_ASSIGN_OR_RETURN(auto snapshot_rels,
                        ConfigRepository::BaselineRelationships(*txn, baseline.id()));
  std::vector<std::string> scope;
  if (!baseline.root_ci_id().empty()) {
    absl::StatusOr<std::vector<std::string>> now =
        RootScope(baseline.root_ci_id(), baseline.root_depth());
    // The request names no depth: what grew is the CMDB, since the baseline was taken.
    if (absl::IsInvalidArgument(now.status())) {
      return absl::FailedPreconditionError(
          absl::StrCat("baseline: the scope of its root CI now holds more than ", kMaxBaselineCis,
                       " CIs; take a new baseline with a smaller root_depth or a list of CIs"));
    }
    ITSM_ASSIGN_OR_RETURN(scope, std::move(now));
  } else {
    scope.assign(baseline.ci_ids().begin(), baseline.ci_ids().end());
  }
  std::set<std::string> now_scope(scope.begin(), scope.end());
  std::map<std::string, v1::ConfigurationItem> then;
  for (auto& ci : snapshot) then[ci.id()] = std::move(ci);
  v1::DiffBaselineResponse out;
  *out.mutable_baseline() = baseline;
  std::set<std::string> all = now_scope;
  for (const auto& [id, ci] : then) all.insert(id);
  std::set<std::string> current_ids;
  for (const auto& id : all) {
    ITSM_ASSIGN_OR_RETURN(auto current, ConfigRepository::FindCi(*txn, id));
    auto was = then.find(id);
    const bool in_now = now_scope.contains(id) && current.has_value();
    if (was == then.end()) {
      if (!in_now) continue;
      v1::CiDrift* d = out.add_configuration_items();
      *d->mutable_ci() = Summary(*current);
      d->set_kind(v1::DRIFT_KIND_ADDED);
      current_ids.insert(id);
      continue;
    }
    // Left a dependency scope because it was retired: that is a change of status, not a removal.
    if (!current || (!in_now && current->status() != v1::LIFECYCLE_STATUS_RETIRED)) {
      v1::CiDrift* d = out.add_configuration_items();
      *d->mutable_ci() = Summary(was->second);
      d->set_kind(v1::DRIFT_KIND_REMOVED);
      continue;
    }
    // Kept, even when retired out of a root's scope: its relationships still exist, and the
    // diff of a list baseline says so too.
    current_ids.insert(id);
    auto changes = DiffCi(was->second, *current);
    if (changes.empty()) continue;
    v1::CiDrift* d = out.add_configuration_items();
    *d->mutable_ci() = Summary(*current);
    d->set_kind(v1::DRIFT_KIND_CHANGED);
    for (auto& c : changes) *d->add_changes() = std::move(c);
  }
  std::map<RelKey, v1::Relationship> before, after;
  for (auto& r : snapshot_rels) before[KeyOf(r)] = r;
  for (const auto& id : current_ids) {
    ITSM_ASSIGN_OR_RETURN(auto of, ConfigRepository::RelationshipsOf(*txn, id));
    for (auto& r : of) {
      if (current_ids.contains(r.source_id()) && current_ids.contains(r.target_id()))
        after[KeyOf(r)] = r;
    }
  }
  for (const auto& [key, r] : before) {
    if (!after.contains(key)) {
      v1::RelationshipDrift* d = out.add_relationships();
      *d->mutable_relationship() = r;
      d->set_kind(v1::DRIFT_KIND_REMOVED);
    }
  }
  for (const auto& [key, r] : after) {
    if (!before.contains(key)) {
      v1::RelationshipDrift* d = out.add_relationships();
      *d->mutable_relationship() = r;
      d->set_kind(v1::DRIFT_KIND_ADDED);
    }
  }
  // 10,000 CIs, each changed in long attributes, can pass gRPC's 4 MiB, and a drift report
  // missing some of its drift would read as "nothing else changed".
  if (out.ByteSizeLong() > records::kMaxPageBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "baseline: the drift (", out.configuration_items_size(), " CIs, ", out.relationships_size(),
        " relationships) is larger than one answer carries (", records::kMaxPageBytes >> 20,
        " MiB); take baselines of smaller scopes"));
  }
  return out;
}

// ---- import ----

ImportRows SeparateOverLimitRows(const v1::ImportConfigurationItemsRequest& request) {
  ImportRows rows{.request = request};
  for (int i = 0; i < request.items_size(); ++i) {
    if (absl::Status bad = limits::CheckFieldLimits(request.items(i)); !bad.ok()) {
      rows.refused_items.emplace(i, bad);
      rows.request.mutable_items(i)->Clear();
    }
  }
  for (int i = 0; i < request.relationships_size(); ++i) {
    if (absl::Status bad = limits::CheckFieldLimits(request.relationships(i)); !bad.ok()) {
      rows.refused_relationships.emplace(i, bad);
      rows.request.mutable_relationships(i)->Clear();
    }
  }
  return rows;
}

absl::Status Cmdb::Import(storage::Transaction& txn, const base::Caller& caller,
                          const ImportRows& rows, v1::ImportConfigurationItemsResponse& out) {
  const v1::ImportConfigurationItemsRequest& request = rows.request;
  if (request.items_size() > kMaxImportItems) {
    return Invalid("items", absl::StrCat("at most ", kMaxImportItems, " per call"));
  }
  if (request.relationships_size() > kMaxImportRelationships) {
    return Invalid("relationships", absl::StrCat("at most ", kMaxImportRelationships, " per call"));
  }
  if (request.items_size() == 0 && request.relationships_size() == 0) {
    return Invalid("items", "nothing to import");
  }
  out.Clear();
  // One graph sequence value for the whole import: it is one transaction.
  ITSM_ASSIGN_OR_RETURN(int64_t seq, ConfigRepository::NextGraphSeq(txn));
  ITSM_ASSIGN_OR_RETURN(auto cat, CatalogFor(txn, ""));
  const CiResolver resolver = ResolverFor(txn);
  auto reject = [&out](v1::ImportResult* r, const absl::Status& s) {
    r->set_outcome(v1::IMPORT_OUTCOME_REJECTED);
    // A storage failure's text (SQL, the database's words) is for the log, never the caller.
    r->set_reason(base::IsPrivate(s) ? "internal error: the item could not be stored"
                                     : std::string(s.message()));
    out.set_rejected(out.rejected() + 1);
  };
  // A feed with two rows for one CI would apply both, the last winning, and every run of it
  // would change the CI back and forth: the second row is refused, naming the first.
  std::map<std::pair<std::string, std::string>, int> first_row;
  for (int i = 0; i < request.items_size(); ++i) {
    const v1::ImportItem& item = request.items(i);
    v1::ImportResult* r = out.add_items();
    r->set_index(i);
    if (auto refused = rows.refused_items.find(i); refused != rows.refused_items.end()) {
      reject(r, refused->second);
      continue;
    }
    // Each item alone: a failure (even a SQL one) undoes that item only.
    ITSM_RETURN_IF_ERROR(txn.Savepoint("import_item"));
    absl::Status s = [&]() -> absl::Status {
      if (item.class_name().empty()) return Invalid("class_name", "required");
      if (item.name().empty()) return Invalid("name", "required");
      if (auto [at, added] = first_row.try_emplace({item.class_name(), item.name()}, i); !added) {
        return Invalid("name",
                       absl::StrCat("item ", at->second, " of this feed is already ",
                                    item.class_name(), "/", item.name(), ": one row per CI"));
      }
      if (cat->Find(item.class_name()) == nullptr) {
        ITSM_ASSIGN_OR_RETURN(cat, CatalogFor(txn, item.class_name()));
      }
      ITSM_ASSIGN_OR_RETURN(auto current,
                            ConfigRepository::FindCiByName(txn, item.class_name(), item.name()));
      ITSM_ASSIGN_OR_RETURN(v1::ConfigurationItem next,
                            ApplyImport(*cat, current ? &*current : nullptr, item, resolver));
      if (!current) {
        ITSM_ASSIGN_OR_RETURN(auto created, WriteNewCi(txn, caller, std::move(next), seq));
        r->set_outcome(v1::IMPORT_OUTCOME_CREATED);
        r->set_id(created.id());
        return absl::OkStatus();
      }
      r->set_id(current->id());
      auto changes = DiffCi(*current, next);
      if (changes.empty()) {
        r->set_outcome(v1::IMPORT_OUTCOME_UNCHANGED);
        return absl::OkStatus();
      }
      for (const auto& c : changes) r->add_changed_fields(c.field());
      ITSM_RETURN_IF_ERROR(WriteCiUpdate(txn, caller, *current, next, seq));
      r->set_outcome(v1::IMPORT_OUTCOME_UPDATED);
      return absl::OkStatus();
    }();
    if (s.ok()) {
      ITSM_RETURN_IF_ERROR(txn.ReleaseSavepoint("import_item"));
      if (r->outcome() == v1::IMPORT_OUTCOME_CREATED) out.set_created(out.created() + 1);
      if (r->outcome() == v1::IMPORT_OUTCOME_UPDATED) out.set_updated(out.updated() + 1);
      if (r->outcome() == v1::IMPORT_OUTCOME_UNCHANGED) out.set_unchanged(out.unchanged() + 1);
      continue;
    }
    if (s.code() == absl::StatusCode::kUnavailable) return s;  // the database, not the item
    ITSM_RETURN_IF_ERROR(txn.RollbackToSavepoint("import_item"));
    ITSM_RETURN_IF_ERROR(txn.ReleaseSavepoint("import_item"));
    r->clear_id();
    r->clear_changed_fields();
    reject(r, s);
  }
  auto key_of = [](const v1::CiKey& k) {
    return k.id().empty() ? absl::StrCat(k.class_name(), "/", k.name()) : k.id();
  };
  for (int i = 0; i < request.relationships_size(); ++i) {
    const v1::ImportRelationship& rel = request.relationships(i);
    v1::ImportResult* r = out.add_relationships();
    r->set_index(i);
    if (auto refused = rows.refused_relationships.find(i);
        refused != rows.refused_relationships.end()) {
      reject(r, refused->second);
      continue;
    }
    ITSM_RETURN_IF_ERROR(txn.Savepoint("import_rel"));
    absl::Status s = [&]() -> absl::Status {
      ITSM_RETURN_IF_ERROR(CheckType(rel.type()));
      // A relationship the CMDB holds is unchanged, whatever became of its CIs since: a feed
      // that retired one of them runs again clean (found from outside: it was refused anew on
      // every run). Only a new one needs both ends in service.
      ITSM_ASSIGN_OR_RETURN(auto source, AnyEndpoint(txn, "source", key_of(rel.source())));
      ITSM_ASSIGN_OR_RETURN(auto target, AnyEndpoint(txn, "target", key_of(rel.target())));
      ITSM_ASSIGN_OR_RETURN(auto held, ConfigRepository::FindCurrentRelationship(
                                           txn, source.id(), target.id(), rel.type()));
      if (held) {
        r->set_id(held->id());
        r->set_outcome(v1::IMPORT_OUTCOME_UNCHANGED);
        return absl::OkStatus();
      }
      ITSM_RETURN_IF_ERROR(CheckNotRetired(source, "source", key_of(rel.source())));
      ITSM_RETURN_IF_ERROR(CheckNotRetired(target, "target", key_of(rel.target())));
      if (source.id() == target.id()) return Invalid("target", "a CI cannot relate to itself");
      if (rel.type() == v1::RELATIONSHIP_TYPE_MEMBER_OF &&
          !cat->IsA(target.class_name(), "cluster")) {
        return Invalid("target",
                       absl::StrCat("member_of needs a cluster, not a ", target.class_name()));
      }
      ITSM_ASSIGN_OR_RETURN(auto created,
                            WriteNewRelationship(txn, caller, source, target, rel.type(), "", seq));
      r->set_id(created.id());
      r->set_outcome(v1::IMPORT_OUTCOME_CREATED);
      return absl::OkStatus();
    }();
    if (s.ok()) {
      ITSM_RETURN_IF_ERROR(txn.ReleaseSavepoint("import_rel"));
      if (r->outcome() == v1::IMPORT_OUTCOME_CREATED) out.set_created(out.created() + 1);
      if (r->outcome() == v1::IMPORT_OUTCOME_UNCHANGED) out.set_unchanged(out.unchanged() + 1);
      continue;
    }
    if (s.code() == absl::StatusCode::kUnavailable) return s;
    ITSM_RETURN_IF_ERROR(txn.RollbackToSavepoint("import_rel"));
    ITSM_RETURN_IF_ERROR(txn.ReleaseSavepoint("import_rel"));
    r->clear_id();
    reject(r, s);
  }
  return absl::OkStatus();
}

}  // namespace itsm::config
