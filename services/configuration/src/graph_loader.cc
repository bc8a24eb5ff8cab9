#include "services/configuration/src/graph_loader.h"

#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace itsm::config {
namespace {

// Pages read ahead and not yet applied: enough to keep both threads busy, few enough that the
// load never holds much more than the graph (a page of relationships is a few MB).
constexpr size_t kPagesAhead = 2;

// Pages from the reading thread to the applying one, and back once applied: the reader writes
// the next rows over an applied page's strings, so neither thread frees or allocates a string per
// row (freeing on one thread what another allocated was a fifth of the applying thread's time).
class PageHandOver {
 public:
  // Takes `page`'s rows, leaving it with an applied page's (or none) to be written over. Waits
  // while kPagesAhead pages are waiting.
  void Put(GraphPage& page) {
    absl::MutexLock lock(&mu_, absl::Condition(this, &PageHandOver::HasRoom));
    pages_.push_back(std::move(page));
    page = GraphPage();
    if (!applied_.empty()) {
      page = std::move(applied_.back());
      applied_.pop_back();
    }
  }
  // The reader is done: `status` is how its scan ended.
  void Finish(absl::Status status) {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    status_ = std::move(status);
  }
  // The next page into `page` (whose applied rows go back to the reader); false once the reader
  // finished and every page was taken.
  bool Take(GraphPage& page) {
    absl::MutexLock lock(&mu_, absl::Condition(this, &PageHandOver::HasPageOrFinished));
    if (!page.nodes.empty() || !page.relations.empty()) applied_.push_back(std::move(page));
    if (pages_.empty()) return false;
    page = std::move(pages_.front());
    pages_.pop_front();
    return true;
  }
  absl::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pages_.size() < kPagesAhead; }
  bool HasPageOrFinished() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !pages_.empty() || finished_;
  }

  absl::Mutex mu_;
  std::deque<GraphPage> pages_ ABSL_GUARDED_BY(mu_);
  std::vector<GraphPage> applied_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::Status LoadGraphOverlapped(storage::Transaction& txn, int64_t upto,
                                 const std::function<void(GraphPage&)>& apply) {
  absl::Status status;
  {
    PageHandOver hand_over;
    std::thread reader([&] {
      hand_over.Finish(
          ConfigRepository::ScanGraph(txn, 0, upto, [&](GraphPage& page) { hand_over.Put(page); }));
    });
    GraphPage page;
    while (hand_over.Take(page)) apply(page);
    reader.join();
    status = hand_over.status();
  }
  return status;
}

}  // namespace itsm::config
