#include "settings_doc.h"

#include <cstdio>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/supervisor/child_process.h"

namespace itsm::settings_doc {
namespace {

constexpr absl::string_view kBegin = "<!-- generated: ";
constexpr absl::string_view kEnd = "<!-- end generated: ";
constexpr absl::string_view kClose = " -->";

// The section name of a marker line, or empty if `line` is not one of `prefix`.
std::string MarkerName(absl::string_view line, absl::string_view prefix) {
  if (!absl::ConsumePrefix(&line, prefix) || !absl::ConsumeSuffix(&line, kClose)) return "";
  return std::string(line);
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> GenerateSections(
    const std::vector<runtime::ServiceInfo>& services) {
  std::map<std::string, std::string> sections;
  // The defaults every service shares, and "per service" for the others (ports).
  std::map<std::string, std::string> common_defaults;
  std::vector<runtime::OptionSpec> common;
  for (const auto& info : services) {
    // What the binary would do at start with an empty environment: a default outside its own
    // bounds fails here, in the settings-doc test, rather than at a service's first start.
    const char* argv[] = {"itsm-settings-doc"};
    auto loaded = runtime::Config::Load(1, argv, info.name, runtime::ServiceOptions(info), {});
    if (!loaded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("itsm-", info.name, " declarations: ", loaded.status().message()));
    }
    const std::vector<runtime::OptionSpec> own_common =
        runtime::CommonOptions(info.default_grpc_port, info.default_metrics_port);
    if (common.empty()) {
      common = own_common;
    } else {
      for (size_t i = 0; i < common.size(); ++i) {
        if (common[i].default_value != own_common[i].default_value) {
          common_defaults[common[i].name] = "per service";
        }
      }
    }
    sections[info.name] = runtime::OptionsMarkdownTable(info.extra_options);
  }
  sections["common"] = runtime::OptionsMarkdownTable(common, common_defaults);
  return sections;
}

absl::StatusOr<std::string> ReplaceGeneratedSections(
    absl::string_view document, const std::map<std::string, std::string>& sections) {
  std::string out;
  std::set<std::string> replaced;
  std::string open;  // the section whose generated text is being skipped
  for (absl::string_view line : absl::StrSplit(document, '\n')) {
    if (!open.empty()) {
      const std::string end = MarkerName(line, kEnd);
      if (end.empty()) continue;
      if (end != open) {
        return absl::InvalidArgumentError(
            absl::StrCat("generated section ", open, " ends with the marker of ", end));
      }
      absl::StrAppend(&out, line, "\n");
      open.clear();
      continue;
    }
    absl::StrAppend(&out, line, "\n");
    const std::string name = MarkerName(line, kBegin);
    if (name.empty()) continue;
    auto it = sections.find(name);
    if (it == sections.end()) {
      return absl::InvalidArgumentError(absl::StrCat("marker of an unknown section: ", line));
    }
    absl::StrAppend(&out, it->second);
    replaced.insert(name);
    open = name;
  }
  if (!open.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("generated section ", open, " has no end marker ", kEnd, open, kClose));
  }
  for (const auto& [name, text] : sections) {
    if (!replaced.contains(name)) {
      return absl::NotFoundError(absl::StrCat("no place for section ", name, ": add ", kBegin, name,
                                              kClose, " and ", kEnd, name, kClose));
    }
  }
  // Every piece got a newline, the last one too, which the document does not have after it.
  out.pop_back();
  return out;
}

int RunGeneratedDocTool(int argc, char** argv, const std::string& tool,
                        const absl::StatusOr<std::map<std::string, std::string>>& sections,
                        const std::string& stale) {
  const auto fail = [&tool](absl::string_view message) {
    std::fprintf(stderr, "%s: %s\n", tool.c_str(), std::string(message).c_str());
    return 1;
  };
  const std::string mode = argc > 1 ? argv[1] : "";
  if (!(argc == 1 || (argc == 3 && (mode == "--write" || mode == "--check")))) {
    std::fprintf(stderr, "usage: %s [--write|--check DOCUMENT]\n", tool.c_str());
    return 2;
  }
  if (!sections.ok()) return fail(sections.status().message());
  if (argc == 1) {
    for (const auto& [name, text] : *sections) {
      std::printf("## %s\n%s\n", name.c_str(), text.c_str());
    }
    return 0;
  }
  const std::string path = argv[2];
  auto document = supervisor::ReadFile(path);
  if (!document.ok()) return fail(document.status().message());
  auto updated = ReplaceGeneratedSections(*document, *sections);
  if (!updated.ok()) return fail(absl::StrCat(path, ": ", updated.status().message()));
  if (mode == "--write") {
    if (*updated == *document) return 0;
    absl::Status written = supervisor::WriteFileAtomically(path, *updated);
    if (!written.ok()) return fail(written.message());
    std::printf("updated %s\n", path.c_str());
    return 0;
  }
  if (*updated != *document) return fail(absl::StrCat(path, " is stale: ", stale));
  return 0;
}

}  // namespace itsm::settings_doc
