// itsm-access-doc: docs/security.md's role table, generated from the access each RPC declares
// in its .proto (itsm.common.v1.access), so that the document says exactly what the services
// enforce.
//
//   itsm-access-doc                                  the table, for reading
//   itsm-access-doc --write docs/security.md         replaces the generated section
//   itsm-access-doc --check docs/security.md         exit code 1 if it is stale (a ctest)
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "itsm/auth/access_policy.h"
#include "itsm/common/v1/access.pb.h"
#include "itsm/supervisor/child_process.h"
#include "settings_doc.h"

namespace itsm::access_doc {
namespace {

constexpr char kRegenerate[] =
    "tools/build.sh itsm_access_doc && build/bin/itsm-access-doc --write docs/security.md";

std::string Roles(const google::protobuf::RepeatedField<int>& roles) {
  std::vector<std::string> names;
  for (int r : roles) names.push_back(auth::RoleName(static_cast<auth::Role>(r)));
  return absl::StrJoin(names, ", ");
}

// One table per service: RPC, roles (besides admin), roles for their own records only.
std::string AccessTables() {
  std::string out;
  for (const auto* service : auth::LinkedServices("itsm.")) {
    absl::StrAppend(&out, "\n`", service->full_name(),
                    "`\n\n| RPC | roles (and admin) | own records only |\n|---|---|---|\n");
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      const auto& access = method->options().GetExtension(common::v1::access);
      std::string roles = Roles(access.roles());
      absl::StrAppend(&out, "| ", method->name(), " | ", roles.empty() ? "admin only" : roles,
                      " | ", Roles(access.own_records_roles()), " |\n");
    }
  }
  return out;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "itsm-access-doc: %s\n", message.c_str());
  return 1;
}

int Run(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (!(argc == 1 || (argc == 3 && (mode == "--write" || mode == "--check")))) {
    std::fprintf(stderr, "usage: itsm-access-doc [--write|--check docs/security.md]\n");
    return 2;
  }
  const std::map<std::string, std::string> sections = {{"access", AccessTables()}};
  if (argc == 1) {
    std::printf("%s", sections.at("access").c_str());
    return 0;
  }
  const std::string path = argv[2];
  auto document = supervisor::ReadFile(path);
  if (!document.ok()) return Fail(std::string(document.status().message()));
  auto updated = settings_doc::ReplaceGeneratedSections(*document, sections);
  if (!updated.ok()) return Fail(std::string(updated.status().message()));
  if (mode == "--check") {
    if (*updated == *document) return 0;
    return Fail(
        absl::StrCat(path, " does not show the access the RPCs declare; run: ", kRegenerate));
  }
  absl::Status written = supervisor::WriteFileAtomically(path, *updated);
  if (!written.ok()) return Fail(std::string(written.message()));
  return 0;
}

}  // namespace
}  // namespace itsm::access_doc

int main(int argc, char** argv) { return itsm::access_doc::Run(argc, argv); }
