#include "services/gateway/src/refused_requests.h"

#include <cstdint>

#include "itsm/runtime/logging.h"

namespace itsm::gateway {
namespace {

constexpr size_t kMaxReason = 300;

absl::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

void LogIfRefused(absl::string_view route, absl::string_view method, const HttpResponse& response) {
  const int status = response.result_int();
  if (status != 401 && status != 403 && status != 429) return;
  if (!runtime::log::WithinBudget("request refused")) return;
  runtime::log::Info("request refused",
                     {{"route", route},
                      {"method", method},
                      {"status", static_cast<int64_t>(status)},
                      {"request_id", View(response["X-Request-Id"])},
                      {"reason", absl::string_view(response.body()).substr(0, kMaxReason)}});
}

}  // namespace itsm::gateway
