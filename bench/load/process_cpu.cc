#include "process_cpu.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace itsm::bench {

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream stat_file(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const size_t name_end = text.rfind(')');
  if (name_end == std::string::npos) return 0;
  std::istringstream fields(text.substr(name_end + 1));
  std::string field;
  // After the name: state (3), ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt,
  // majflt, cmajflt, then utime (14) and stime (15).
  for (int i = 3; i <= 13 && fields >> field; ++i) {
  }
  double utime = 0, stime = 0;
  if (!(fields >> utime >> stime)) return 0;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::vector<double> CpuWatch::Sample() const {
  std::vector<double> seconds;
  for (const auto& [name, pid] : processes) seconds.push_back(ProcessCpuSeconds(pid));
  return seconds;
}

std::vector<CpuPerCall> CpuPerCallBetween(const CpuWatch& watch, const std::vector<double>& before,
                                          const std::vector<double>& after, int64_t calls) {
  std::vector<CpuPerCall> out;
  for (size_t i = 0; i < watch.processes.size() && i < before.size() && i < after.size(); ++i) {
    out.push_back({watch.processes[i].first,
                   calls > 0 ? (after[i] - before[i]) * 1e6 / static_cast<double>(calls) : 0});
  }
  return out;
}

}  // namespace itsm::bench
