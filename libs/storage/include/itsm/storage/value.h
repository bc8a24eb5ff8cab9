// Values bound to SQL parameters and read from result columns.
#ifndef ITSM_STORAGE_VALUE_H_
#define ITSM_STORAGE_VALUE_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace itsm::storage {

// Binary data (BLOB in SQLite, BYTEA in PostgreSQL), kept apart from text because PostgreSQL
// binds the two differently.
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

struct Null {
  bool operator==(const Null&) const = default;
};

// NULL, an integer, a real, text or bytes. Timestamps are stored as int64 microseconds since the
// Unix epoch in both backends, so that comparisons and ordering agree across them.
class Value {
 public:
  Value() : v_(Null{}) {}
  Value(Null) : v_(Null{}) {}
  Value(int64_t v) : v_(v) {}
  Value(int v) : v_(static_cast<int64_t>(v)) {}
  Value(bool v) : v_(static_cast<int64_t>(v ? 1 : 0)) {}
  Value(double v) : v_(v) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(absl::string_view v) : v_(std::string(v)) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(Bytes v) : v_(std::move(v)) {}

  bool is_null() const { return std::holds_alternative<Null>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }
  bool is_text() const { return std::holds_alternative<std::string>(v_); }
  bool is_bytes() const { return std::holds_alternative<Bytes>(v_); }

  // Accessors convert where it is lossless (an integer column read as text by PostgreSQL's text
  // protocol, bytes read as a string); otherwise they return the type's zero value.
  int64_t AsInt() const;
  double AsDouble() const;
  // Text or bytes, as stored.
  const std::string& AsString() const;
  // The same, moved out: the value keeps an empty string. For a large column read once.
  std::string TakeString();

  const std::variant<Null, int64_t, double, std::string, Bytes>& variant() const { return v_; }
  bool operator==(const Value&) const = default;

 private:
  std::variant<Null, int64_t, double, std::string, Bytes> v_;
};

using Params = std::vector<Value>;

}  // namespace itsm::storage

#endif  // ITSM_STORAGE_VALUE_H_
