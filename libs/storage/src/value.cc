#include "itsm/storage/value.h"

#include <utility>

#include "absl/strings/numbers.h"

namespace itsm::storage {

int64_t Value::AsInt() const {
  if (const auto* i = std::get_if<int64_t>(&v_)) return *i;
  if (const auto* d = std::get_if<double>(&v_)) return static_cast<int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v_)) {
    int64_t out = 0;
    if (absl::SimpleAtoi(*s, &out)) return out;
  }
  return 0;
}

double Value::AsDouble() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&v_)) {
    double out = 0;
    if (absl::SimpleAtod(*s, &out)) return out;
  }
  return 0;
}

const std::string& Value::AsString() const {
  static const std::string kEmpty;
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  if (const auto* b = std::get_if<Bytes>(&v_)) return b->data;
  return kEmpty;
}

std::string Value::TakeString() {
  if (auto* s = std::get_if<std::string>(&v_)) return std::exchange(*s, std::string());
  if (auto* b = std::get_if<Bytes>(&v_)) return std::exchange(b->data, std::string());
  return std::string();
}

}  // namespace itsm::storage
