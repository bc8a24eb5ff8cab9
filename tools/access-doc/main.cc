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

int Run(int argc, char** argv) {
  return settings_doc::RunGeneratedDocTool(
      argc, argv, "itsm-access-doc", std::map<std::string, std::string>{{"access", AccessTables()}},
      absl::StrCat("it does not show the access the RPCs declare; run: ", kRegenerate));
}

}  // namespace
}  // namespace itsm::access_doc

int main(int argc, char** argv) { return itsm::access_doc::Run(argc, argv); }
