// The files a service leaves for the process that started it, beside the ready file that
// ITSM_READY_FILE names (written once it serves): while its database migrations run, a second
// one, so that a supervisor does not count a long migration against its start timeout.
#ifndef ITSM_BASE_READY_FILE_H_
#define ITSM_BASE_READY_FILE_H_

#include <string>

namespace itsm::base {

inline std::string MigratingFileOf(const std::string& ready_file) {
  return ready_file + ".migrating";
}

}  // namespace itsm::base

#endif  // ITSM_BASE_READY_FILE_H_
