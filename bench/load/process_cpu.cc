#include "process_cpu.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace itsm::bench {

namespace {

// The fields of /proc/<pid>/stat from the third (state) on, and the command (field 2); false if
// the process is gone.
bool ReadStat(pid_t pid, std::string& command, std::vector<std::string>& fields) {
  std::ifstream stat_file(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const size_t name_start = text.find('(');
  const size_t name_end = text.rfind(')');
  if (name_start == std::string::npos || name_end == std::string::npos) return false;
  command = text.substr(name_start + 1, name_end - name_start - 1);
  fields.clear();
  std::istringstream in(text.substr(name_end + 1));
  for (std::string field; in >> field;) fields.push_back(field);
  return fields.size() >= 15;
}

// Fields as numbered in proc(5), from the third on.
constexpr size_t kPpid = 4 - 3, kUtime = 14 - 3, kStime = 15 - 3, kCutime = 16 - 3,
                 kCstime = 17 - 3;

double Ticks(const std::vector<std::string>& fields, std::initializer_list<size_t> which) {
  double ticks = 0;
  for (size_t i : which) ticks += std::strtod(fields[i].c_str(), nullptr);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Every process whose parent is `parent`, with its command.
std::vector<std::pair<pid_t, std::string>> Children(pid_t parent) {
  std::vector<std::pair<pid_t, std::string>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::string command;
    std::vector<std::string> fields;
    if (ReadStat(pid, command, fields) && std::atoi(fields[kPpid].c_str()) == parent) {
      out.emplace_back(pid, command);
    }
  }
  return out;
}

}  // namespace

double ProcessCpuSeconds(pid_t pid) {
  std::string command;
  std::vector<std::string> fields;
  return ReadStat(pid, command, fields) ? Ticks(fields, {kUtime, kStime}) : 0;
}

double ProcessTreeCpuSeconds(pid_t pid) {
  std::string command;
  std::vector<std::string> fields;
  if (!ReadStat(pid, command, fields)) return 0;
  // Its own, and that of the children it has reaped (cutime and cstime), which include theirs.
  double seconds = Ticks(fields, {kUtime, kStime, kCutime, kCstime});
  for (const auto& [child, name] : Children(pid)) seconds += ProcessTreeCpuSeconds(child);
  return seconds;
}

std::vector<pid_t> ChildrenNamed(pid_t parent, const std::string& command) {
  std::vector<pid_t> out;
  for (const auto& [pid, name] : Children(parent)) {
    if (name == command) out.push_back(pid);
  }
  return out;
}

std::vector<double> CpuWatch::Sample() const {
  std::vector<double> seconds;
  for (const auto& [name, pid] : processes) seconds.push_back(ProcessCpuSeconds(pid));
  for (const auto& [name, pid] : process_trees) seconds.push_back(ProcessTreeCpuSeconds(pid));
  return seconds;
}

std::vector<CpuPerCall> CpuPerCallBetween(const CpuWatch& watch, const std::vector<double>& before,
                                          const std::vector<double>& after, int64_t calls) {
  std::vector<std::string> names;
  for (const auto& [name, pid] : watch.processes) names.push_back(name);
  for (const auto& [name, pid] : watch.process_trees) names.push_back(name);
  std::vector<CpuPerCall> out;
  for (size_t i = 0; i < names.size() && i < before.size() && i < after.size(); ++i) {
    out.push_back(
        {names[i], calls > 0 ? (after[i] - before[i]) * 1e6 / static_cast<double>(calls) : 0});
  }
  return out;
}

}  // namespace itsm::bench
