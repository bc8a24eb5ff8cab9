// FreedMemoryRelease gives back what glibc holds free: memory freed in a pattern that leaves a
// live chunk in every page span (as a burst of calls does) stays in RSS until it is released.
#include "itsm/runtime/freed_memory_release.h"

#include <unistd.h>

#include <fstream>
#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace itsm::runtime {
namespace {

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

TEST(FreedMemoryRelease, GivesBackWhatIsFreeAboveTheThreshold) {
  FreedMemoryRelease release(size_t{8} << 20, absl::Hours(1));  // released by hand below
  constexpr int kBlocks = 200'000;
  std::vector<std::unique_ptr<char[]>> blocks(kBlocks);
  for (auto& block : blocks) {
    block.reset(new char[1000]);
    std::fill_n(block.get(), 1000, 'x');  // touched: resident
  }
  // Every 64th block stays, so no free run reaches the top of the heap: free() alone keeps it.
  for (int i = 0; i < kBlocks; ++i) {
    if (i % 64 != 0) blocks[i].reset();
  }
  const size_t before = ResidentBytes();
  EXPECT_GT(release.ReleaseIfAbove(), size_t{100} << 20);
  const size_t after = ResidentBytes();
  EXPECT_LT(after + (size_t{100} << 20), before) << before << " -> " << after;
  // Below the threshold nothing is done: the free bytes are reported all the same.
  FreedMemoryRelease lenient(size_t{1} << 40, absl::Hours(1));
  EXPECT_GT(lenient.ReleaseIfAbove(), size_t{0});
}

}  // namespace
}  // namespace itsm::runtime
