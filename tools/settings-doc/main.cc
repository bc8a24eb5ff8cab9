// itsm-settings-doc: prints docs/settings.md's option tables, generated from the options each
// service declares (see settings_doc.h), or rewrites or checks them in the document.
//
//   itsm-settings-doc                                 every section, for reading
//   itsm-settings-doc --write docs/settings.md        replaces the generated sections
//   itsm-settings-doc --check docs/settings.md        exit code 1 if they are stale (a ctest)
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "itsm/supervisor/child_process.h"
#include "services/configuration/src/configuration_service_info.h"
#include "services/incident/src/incident_service_info.h"
#include "services/sla-timer/src/sla_timer_service_info.h"
#include "services/sla/src/sla_service_info.h"
#include "settings_doc.h"

namespace itsm::settings_doc {
namespace {

constexpr char kRegenerate[] =
    "tools/build.sh itsm_settings_doc && build/bin/itsm-settings-doc --write docs/settings.md";

int Fail(const std::string& message) {
  std::fprintf(stderr, "itsm-settings-doc: %s\n", message.c_str());
  return 1;
}

int Run(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (!(argc == 1 || (argc == 3 && (mode == "--write" || mode == "--check")))) {
    std::fprintf(stderr, "usage: itsm-settings-doc [--write|--check docs/settings.md]\n");
    return 2;
  }
  // Every service of the suite, in the order of docs/settings.md.
  auto sections =
      GenerateSections({incident::IncidentServiceInfo(), config::ConfigurationServiceInfo(),
                        sla::SlaServiceInfo(), sla_timer::SlaTimerServiceInfo()});
  if (!sections.ok()) return Fail(std::string(sections.status().message()));
  if (argc == 1) {
    for (const auto& [name, text] : *sections) {
      std::printf("## %s\n%s\n", name.c_str(), text.c_str());
    }
    return 0;
  }

  const std::string path = argv[2];
  auto document = supervisor::ReadFile(path);
  if (!document.ok()) return Fail(std::string(document.status().message()));
  auto updated = ReplaceGeneratedSections(*document, *sections);
  if (!updated.ok()) return Fail(absl::StrCat(path, ": ", updated.status().message()));
  if (mode == "--write") {
    if (*updated == *document) return 0;
    absl::Status written = supervisor::WriteFileAtomically(path, *updated);
    if (!written.ok()) return Fail(std::string(written.message()));
    std::printf("updated %s\n", path.c_str());
    return 0;
  }
  if (*updated != *document) {
    return Fail(absl::StrCat(path,
                             " is stale: its option tables differ from the options the services "
                             "declare. Regenerate them with\n  ",
                             kRegenerate));
  }
  return 0;
}

}  // namespace
}  // namespace itsm::settings_doc

int main(int argc, char** argv) { return itsm::settings_doc::Run(argc, argv); }
