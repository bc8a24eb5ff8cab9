// Messages filled with random values for the gateway's JSON tests: the writer's and the reader's
// differential tests hold them against protobuf's own JSON.
//
//   RandomFiller(seed).Fill(message, /*depth=*/0);
#ifndef ITSM_SERVICES_GATEWAY_TESTS_RANDOM_MESSAGE_H_
#define ITSM_SERVICES_GATEWAY_TESTS_RANDOM_MESSAGE_H_

#include <cstdint>
#include <iterator>
#include <limits>
#include <random>
#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace itsm::gateway {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Texts that need escaping, multi-byte characters and the separators JavaScript breaks on.
inline const char* const kStrings[] = {"",
                                       "plain",
                                       "quote\" back\\slash /",
                                       "new\nline\ttab\rreturn\bback\fform",
                                       "<script>alert('x')</script> & more",
                                       "\xc3\xbcn\xc3\xaf"
                                       "c\xc3\xb8"
                                       "d\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac",
                                       "line\xe2\x80\xa8separator\xe2\x80\xa9paragraph",
                                       "\x01\x1f\x7f control",
                                       "emoji \xf0\x9f\x94\xa5"};

// Fills every field of `message` with random values: presence, oneofs, repeated and map fields
// of 0-3 elements, every scalar type's edge values, the well-known types in their valid ranges.
class RandomFiller {
 public:
  explicit RandomFiller(uint32_t seed) : rng_(seed) {}

  void Fill(Message& message, int depth) {
    const Descriptor& type = *message.GetDescriptor();
    const Reflection& r = *message.GetReflection();
    if (type.full_name() == "google.protobuf.Timestamp") {
      r.SetInt64(&message, type.FindFieldByNumber(1), Pick<int64_t>(0, 253402300799));
      r.SetInt32(&message, type.FindFieldByNumber(2), Nanos());
      return;
    }
    if (type.full_name() == "google.protobuf.Duration") {
      const int64_t seconds = Pick<int64_t>(-315576000000, 315576000000);
      int32_t nanos = Nanos();
      if (seconds < 0) nanos = -nanos;
      if (seconds == 0 && Pick<int>(0, 1) == 1) nanos = -nanos;
      r.SetInt64(&message, type.FindFieldByNumber(1), seconds);
      r.SetInt32(&message, type.FindFieldByNumber(2), nanos);
      return;
    }
    if (type.full_name() == "google.protobuf.FieldMask") {
      const char* paths[] = {"title", "update_time", "assignment_group", "a_b_c"};
      for (int i = Pick<int>(0, 3); i > 0; --i) {
        r.AddString(&message, type.FindFieldByNumber(1), paths[Pick<int>(0, 3)]);
      }
      return;
    }
    for (int i = 0; i < type.field_count(); ++i) {
      const FieldDescriptor& field = *type.field(i);
      // Some fields left alone: presence and defaults must print as the reference prints them.
      if (Pick<int>(0, 4) == 0) continue;
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && depth >= 4) continue;
      if (field.is_repeated()) {
        for (int n = Pick<int>(0, 3); n > 0; --n) Add(message, field, depth);
      } else {
        Set(message, field, depth);
      }
    }
  }

 private:
  template <typename T>
  T Pick(T low, T high) {
    return std::uniform_int_distribution<T>(low, high)(rng_);
  }
  int32_t Nanos() {
    switch (Pick<int>(0, 3)) {
      case 0:
        return 0;
      case 1:
        return Pick<int32_t>(0, 999) * 1000000;
      case 2:
        return Pick<int32_t>(0, 999999) * 1000;
      default:
        return Pick<int32_t>(0, 999999999);
    }
  }
  double Double() {
    const double edges[] = {0.0,
                            -0.0,
                            1.0,
                            0.1,
                            -2.5,
                            1e300,
                            5e-324,
                            std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity()};
    if (Pick<int>(0, 1) == 0) return edges[Pick<int>(0, 8)];
    return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
  }
  int EnumValue(const FieldDescriptor& field) {
    // Now and then a number the enum does not name (proto3 keeps it).
    if (Pick<int>(0, 9) == 0) return 999;
    const auto& type = *field.enum_type();
    return type.value(Pick<int>(0, type.value_count() - 1))->number();
  }
  std::string Bytes() {
    std::string out(static_cast<size_t>(Pick<int>(0, 7)), '\0');
    for (char& c : out) c = static_cast<char>(Pick<int>(0, 255));
    return out;
  }
  std::string Text() { return kStrings[Pick<int>(0, std::size(kStrings) - 1)]; }

  void Set(Message& m, const FieldDescriptor& f, int depth) {
    const Reflection& r = *m.GetReflection();
    switch (f.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return r.SetInt32(&m, &f, Pick<int32_t>(INT32_MIN, INT32_MAX));
      case FieldDescriptor::CPPTYPE_UINT32:
        return r.SetUInt32(&m, &f, Pick<uint32_t>(0, UINT32_MAX));
      case FieldDescriptor::CPPTYPE_INT64:
        return r.SetInt64(&m, &f, Pick<int64_t>(INT64_MIN, INT64_MAX));
      case FieldDescriptor::CPPTYPE_UINT64:
        return r.SetUInt64(&m, &f, Pick<uint64_t>(0, UINT64_MAX));
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return r.SetDouble(&m, &f, Double());
      case FieldDescriptor::CPPTYPE_FLOAT:
        return r.SetFloat(&m, &f, static_cast<float>(Double() / 1e290));
      case FieldDescriptor::CPPTYPE_BOOL:
        return r.SetBool(&m, &f, Pick<int>(0, 1) == 1);
      case FieldDescriptor::CPPTYPE_ENUM:
        return r.SetEnumValue(&m, &f, EnumValue(f));
      case FieldDescriptor::CPPTYPE_STRING:
        return r.SetString(&m, &f, f.type() == FieldDescriptor::TYPE_BYTES ? Bytes() : Text());
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Fill(*r.MutableMessage(&m, &f), depth + 1);
    }
  }
  void Add(Message& m, const FieldDescriptor& f, int depth) {
    const Reflection& r = *m.GetReflection();
    switch (f.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return r.AddInt32(&m, &f, Pick<int32_t>(INT32_MIN, INT32_MAX));
      case FieldDescriptor::CPPTYPE_UINT32:
        return r.AddUInt32(&m, &f, Pick<uint32_t>(0, UINT32_MAX));
      case FieldDescriptor::CPPTYPE_INT64:
        return r.AddInt64(&m, &f, Pick<int64_t>(INT64_MIN, INT64_MAX));
      case FieldDescriptor::CPPTYPE_UINT64:
        return r.AddUInt64(&m, &f, Pick<uint64_t>(0, UINT64_MAX));
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return r.AddDouble(&m, &f, Double());
      case FieldDescriptor::CPPTYPE_FLOAT:
        return r.AddFloat(&m, &f, static_cast<float>(Double() / 1e290));
      case FieldDescriptor::CPPTYPE_BOOL:
        return r.AddBool(&m, &f, Pick<int>(0, 1) == 1);
      case FieldDescriptor::CPPTYPE_ENUM:
        return r.AddEnumValue(&m, &f, EnumValue(f));
      case FieldDescriptor::CPPTYPE_STRING:
        return r.AddString(&m, &f, f.type() == FieldDescriptor::TYPE_BYTES ? Bytes() : Text());
      case FieldDescriptor::CPPTYPE_MESSAGE:
        // A map entry is a message too: a key and a value filled like any field.
        return Fill(*r.AddMessage(&m, &f), depth + 1);
    }
  }

  std::mt19937 rng_;
};

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_TESTS_RANDOM_MESSAGE_H_
