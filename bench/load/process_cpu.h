// CPU time of processes over a measured window, reported per completed call. Unlike a rate, CPU
// per call barely depends on how busy the machine is, so it compares runs on a noisy machine.
#ifndef ITSM_BENCH_LOAD_PROCESS_CPU_H_
#define ITSM_BENCH_LOAD_PROCESS_CPU_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace itsm::bench {

// User + system CPU seconds `pid` has used so far (/proc/<pid>/stat); 0 if it cannot be read.
double ProcessCpuSeconds(pid_t pid);

// The same for `pid` and every process it started, running or ended (a database server: its
// postmaster, the backend of each connection, its background workers).
double ProcessTreeCpuSeconds(pid_t pid);

// The processes `parent` started whose command is `command` (e.g. "postgres").
std::vector<pid_t> ChildrenNamed(pid_t parent, const std::string& command);

// Named processes to watch, e.g. {{"service", pid}, {"broker", pid}}. A run samples them when
// it starts and stops measuring.
struct CpuWatch {
  std::vector<std::pair<std::string, pid_t>> processes = {};
  // Watched with every process they started (ProcessTreeCpuSeconds), reported after `processes`.
  std::vector<std::pair<std::string, pid_t>> process_trees = {};

  std::vector<double> Sample() const;
};

// One watched process's CPU per call in a run, in microseconds.
struct CpuPerCall {
  std::string process = {};
  double micros = 0;
};

// CPU per call between two samples of the same watch; `calls` completed calls.
std::vector<CpuPerCall> CpuPerCallBetween(const CpuWatch& watch, const std::vector<double>& before,
                                          const std::vector<double>& after, int64_t calls);

}  // namespace itsm::bench

#endif  // ITSM_BENCH_LOAD_PROCESS_CPU_H_
