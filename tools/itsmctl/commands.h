// The command groups of itsmctl. Each returns OK or the error to print.
#ifndef ITSM_TOOLS_ITSMCTL_COMMANDS_H_
#define ITSM_TOOLS_ITSMCTL_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli.h"

namespace itsm::ctl {

absl::Status RunIncident(const Context& ctx, const std::vector<std::string>& argv);
absl::Status RunRequest(const Context& ctx, const std::vector<std::string>& argv);
absl::Status RunProblem(const Context& ctx, const std::vector<std::string>& argv);
absl::Status RunEvents(const Context& ctx, const std::vector<std::string>& argv);
absl::Status RunOutbox(const Context& ctx, const std::vector<std::string>& argv);
absl::Status RunStatus(const Context& ctx, const std::vector<std::string>& argv);
absl::Status RunConfig(const Context& ctx, const std::vector<std::string>& argv);
absl::Status RunSla(const Context& ctx, const std::vector<std::string>& argv);
absl::Status RunAuth(const Context& ctx, const std::vector<std::string>& argv);
absl::Status RunChange(const Context& ctx, const std::vector<std::string>& argv);
// itsmctl apikey ... (apikey_commands.cc).
absl::Status RunApiKey(const Context& ctx, const std::vector<std::string>& argv);
// itsmctl supplier ... (supplier_commands.cc).
absl::Status RunSupplier(const Context& ctx, const std::vector<std::string>& argv);
// itsmctl sla explain <record> ... (sla_explain_command.cc).
absl::Status SlaExplainCommand(const Context& ctx, const std::vector<std::string>& argv);
// A record's id from its id or its number (INC0000042, REQ0000007), asked of the incident service.
absl::StatusOr<std::string> RecordIdOf(const Context& ctx, const std::string& id_or_number);

}  // namespace itsm::ctl

#endif  // ITSM_TOOLS_ITSMCTL_COMMANDS_H_
