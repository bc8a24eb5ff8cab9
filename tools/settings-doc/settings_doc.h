// docs/settings.md's option tables, generated from the options each service declares, so that
// the document cannot drift from what the binaries read. The generated parts sit between marker
// comments; everything else in the file is hand-written and kept as it is:
//
//   <!-- generated: incident -->
//   | option | environment | ... |
//   <!-- end generated: incident -->
#ifndef ITSM_TOOLS_SETTINGS_DOC_SETTINGS_DOC_H_
#define ITSM_TOOLS_SETTINGS_DOC_SETTINGS_DOC_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "itsm/runtime/service_runtime.h"

namespace itsm::settings_doc {

// Section name -> generated markdown: "common" (the options every service has; a default that
// differs between services, such as the ports, reads "per service"), then one section per
// service named after it with its own options. INVALID_ARGUMENT when a service's declarations
// do not load with their defaults (a default out of its bounds, an option declared twice).
absl::StatusOr<std::map<std::string, std::string>> GenerateSections(
    const std::vector<runtime::ServiceInfo>& services);

// `document` with the text between each pair of markers replaced by its section.
// INVALID_ARGUMENT for a marker without its end, or naming no section; NOT_FOUND when a
// section has no markers in the document (a new service must be given its place by hand).
absl::StatusOr<std::string> ReplaceGeneratedSections(
    absl::string_view document, const std::map<std::string, std::string>& sections);

// The command line of the tools that generate parts of a document (itsm-settings-doc,
// itsm-access-doc): no argument prints the sections; `--write DOC` replaces them in DOC;
// `--check DOC` exits 1 when DOC differs from them, saying "DOC is stale: <stale>". Returns
// the process exit code (2 for a bad command line).
int RunGeneratedDocTool(int argc, char** argv, const std::string& tool,
                        const absl::StatusOr<std::map<std::string, std::string>>& sections,
                        const std::string& stale);

}  // namespace itsm::settings_doc

#endif  // ITSM_TOOLS_SETTINGS_DOC_SETTINGS_DOC_H_
