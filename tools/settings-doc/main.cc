// itsm-settings-doc: prints docs/settings.md's option tables, generated from the options each
// service declares (see settings_doc.h), or rewrites or checks them in the document.
//
//   itsm-settings-doc                                 every section, for reading
//   itsm-settings-doc --write docs/settings.md        replaces the generated sections
//   itsm-settings-doc --check docs/settings.md        exit code 1 if they are stale (a ctest)
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/change/src/change_service_info.h"
#include "services/configuration/src/configuration_service_info.h"
#include "services/gateway/src/gateway_service_info.h"
#include "services/incident/src/incident_service_info.h"
#include "services/sla-timer/src/sla_timer_service_info.h"
#include "services/sla/src/sla_service_info.h"
#include "services/supplier/src/supplier_service_info.h"
#include "services/webhooks/src/webhooks_service_info.h"
#include "settings_doc.h"

namespace itsm::settings_doc {
namespace {

constexpr char kRegenerate[] =
    "tools/build.sh itsm_settings_doc && build/bin/itsm-settings-doc --write docs/settings.md";

int Run(int argc, char** argv) {
  // Every service of the suite, in the order of docs/settings.md.
  return RunGeneratedDocTool(
      argc, argv, "itsm-settings-doc",
      GenerateSections({incident::IncidentServiceInfo(), change::ChangeServiceInfo(),
                        config::ConfigurationServiceInfo(), sla::SlaServiceInfo(),
                        sla_timer::SlaTimerServiceInfo(), supplier::SupplierServiceInfo(),
                        webhooks::WebhooksServiceInfo(), gateway::GatewayServiceInfo()}),
      absl::StrCat("its option tables differ from the options the services declare. "
                   "Regenerate them with\n  ",
                   kRegenerate));
}

}  // namespace
}  // namespace itsm::settings_doc

int main(int argc, char** argv) { return itsm::settings_doc::Run(argc, argv); }
