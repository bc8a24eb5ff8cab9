#include <random>
#include <set>

#include "absl/time/clock.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/message_fingerprint.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"

namespace itsm::base {
namespace {

TEST(Ids, NewUuidIsCanonicalVersion7AndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid();
    EXPECT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '7') << id;
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(Ids, DerivedUuidIsStableAndShapedAsAUuid) {
  const std::string a = DerivedUuid("clock/breached");
  EXPECT_EQ(a, DerivedUuid("clock/breached"));
  EXPECT_NE(a, DerivedUuid("clock/warning/50"));
  EXPECT_TRUE(IsUuid(a)) << a;
  EXPECT_EQ(a[14], '5');
  // Consumers de-duplicate by these ids (SLA clock events, webhook-ids): a new version must
  // derive the ones published before.
  EXPECT_EQ(a, "f1d6d1a9-e846-5794-8206-bc3cf6a34e2a");
}

TEST(Ids, NewUuidsSortByCreationTime) {
  const std::string first = NewUuid();
  absl::SleepFor(absl::Milliseconds(2));
  const std::string second = NewUuid();
  EXPECT_LT(first, second);
}

TEST(Ids, IsUuidRejectsOtherShapes) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("INC0000001"));
  EXPECT_FALSE(IsUuid("0123456789abcdef0123456789abcdef0123"));
  EXPECT_FALSE(IsUuid("0123456z-89ab-4def-8123-456789abcdef"));
  EXPECT_TRUE(IsUuid("01234567-89ab-4def-8123-456789ABCDEF"));
}

TEST(TimeUtil, ProtoTimestampRoundTripsIncludingBeforeEpoch) {
  for (int64_t micros :
       {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1'700'000'000'123'456}, int64_t{-1'500'000}}) {
    absl::Time t = absl::FromUnixMicros(micros);
    google::protobuf::Timestamp ts = ToProtoTimestamp(t);
    EXPECT_GE(ts.nanos(), 0);
    EXPECT_LT(ts.nanos(), 1'000'000'000);
    EXPECT_EQ(absl::ToUnixMicros(FromProtoTimestamp(ts)), micros);
  }
}

TEST(TimeUtil, FormatsRfc3339InUtcWithMicroseconds) {
  EXPECT_EQ(FormatRfc3339(absl::FromUnixMicros(1'700'000'000'123'456)),
            "2023-11-14T22:13:20.123456Z");
}

// The direct writing of years 1 to 9999 gives absl's text, before 1970 and with nanoseconds too,
// but for the four digits of a year before 1000 (RFC 3339's, which absl's %Y leaves out).
TEST(TimeUtil, FormatsRfc3339AsAbslDoes) {
  auto absl_text = [](absl::Time t) {
    return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ", t, absl::UTCTimeZone());
  };
  std::mt19937_64 random(20261205);
  // Years 1000 to 9999, and a little beyond the end.
  std::uniform_int_distribution<int64_t> seconds(-30'610'224'000, 253'500'000'000);
  std::uniform_int_distribution<int64_t> nanos(0, 999'999'999);
  for (int i = 0; i < 20000; ++i) {
    const absl::Time t = absl::FromUnixSeconds(seconds(random)) + absl::Nanoseconds(nanos(random));
    ASSERT_EQ(FormatRfc3339(t), absl_text(t));
  }
  for (absl::Time t :
       {absl::UnixEpoch(), absl::UnixEpoch() - absl::Nanoseconds(1),
        absl::FromUnixSeconds(-30'610'224'000),
        absl::FromUnixSeconds(253'402'300'799) + absl::Nanoseconds(999'999'999),
        absl::FromUnixSeconds(253'402'300'800), absl::InfiniteFuture(), absl::InfinitePast()}) {
    EXPECT_EQ(FormatRfc3339(t), absl_text(t));
  }
  EXPECT_EQ(FormatRfc3339(absl::FromUnixSeconds(-62'135'596'800)), "0001-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339(absl::FromUnixSeconds(-57'200'100'000) + absl::Nanoseconds(171'585'999)),
            "0157-05-26T19:20:00.171585Z");
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ITSM_ASSIGN_OR_RETURN(int half, Half(x));
  ITSM_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusMacros, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace itsm::base

namespace itsm::base {
namespace {

TEST(ErrorDetail, UnderFieldNamesTheFieldFromTheRequest) {
  absl::Status nested = UnderField("definition", FieldError("kind", "required"));
  EXPECT_EQ(nested.message(), "definition.kind: required");
  EXPECT_EQ(ErrorField(nested), "definition.kind");
  // A validator's plain "path: what" is a field error too.
  absl::Status plain = UnderField("calendar", absl::InvalidArgumentError("weekly_hours[1]: empty"));
  EXPECT_EQ(plain.message(), "calendar.weekly_hours[1]: empty");
  EXPECT_EQ(ErrorField(plain), "calendar.weekly_hours[1]");
  // What names no field, or is not a bad argument, is left as it is.
  absl::Status overlap = absl::AlreadyExistsError("definition \"x\" overlaps: retire it");
  EXPECT_EQ(UnderField("definition", overlap), overlap);
  absl::Status sentence = absl::InvalidArgumentError("The body is not JSON");
  EXPECT_EQ(UnderField("definition", sentence), sentence);
  EXPECT_TRUE(UnderField("definition", absl::OkStatus()).ok());
}

}  // namespace
}  // namespace itsm::base

namespace itsm::base {
namespace {

// Found from outside: titles of no-break and zero-width spaces were accepted as "required".
TEST(BlankText, UnicodeWhiteSpaceAndInvisibleFormatCharactersAreBlank) {
  EXPECT_TRUE(IsBlank(""));
  EXPECT_TRUE(IsBlank(" \t\r\n"));
  for (const char* blank : {"\u00a0", "\u2003", "\u200b", "\u200d", "\u3000", "\u2028", "\u2029",
                            "\ufeff", "\u2060", "\u202f", "\u0085", "\u00a0\u2003 \u200b", "\u202e",
                            "\u202a\u202c", "\u2066\u2069", "\u2063"}) {
    EXPECT_TRUE(IsBlank(blank)) << blank;
  }
  for (const char* visible : {"a", " a ", "\u00a0x", "é", "\u4e2d", "\U0001f600", "\u200e"}) {
    EXPECT_FALSE(IsBlank(visible)) << visible;
  }
  EXPECT_FALSE(IsBlank("\xff")) << "invalid UTF-8 is not blank";
  EXPECT_FALSE(IsBlank("\xe2\x80")) << "a cut sequence is not blank";
}

TEST(BlankText, OuterBlanksMakeLookAlikes) {
  EXPECT_FALSE(HasOuterBlank(""));
  EXPECT_FALSE(HasOuterBlank("db-T"));
  EXPECT_FALSE(HasOuterBlank("db\u200d-T")) << "inside: not outer";
  EXPECT_FALSE(HasOuterBlank("caf\u00e9"));
  EXPECT_FALSE(HasOuterBlank("\U0001f600"));
  for (const char* outer : {" db-T", "db-T ", "\u00a0db-T", "db-T\u00a0", "db-T\u200b",
                            "\ufeffdb-T", "db-T\u2028", "\u3000"}) {
    EXPECT_TRUE(HasOuterBlank(outer)) << outer;
    EXPECT_FALSE(HasOuterBlank(StripBlanks(outer))) << outer;
  }
  EXPECT_EQ(StripBlanks("\u200b db\u200d-T\u00a0\u3000"), "db\u200d-T");
  EXPECT_EQ(StripBlanks("\u00a0 \u2003"), "");
  EXPECT_EQ(StripBlanks("caf\u00e9"), "caf\u00e9");
  EXPECT_EQ(StripBlanks("\xff "), "\xff") << "invalid UTF-8 stays, as visible";
}

// Fingerprints are stored beside idempotency keys, so they may never change between releases:
// known answers.
TEST(MessageFingerprint, IsFnv1aOfTheDeterministicSerialisation) {
  EXPECT_EQ(MessageFingerprint(google::protobuf::StringValue()), "cbf29ce484222325");
  google::protobuf::StringValue x;
  x.set_value("x");  // serialised as 0a 01 78
  EXPECT_EQ(MessageFingerprint(x), "2fe852189d1bfb44");
}

// A subject is refused when it could read as someone else's in the audit trail.
TEST(WhyNotAnIdentity, RefusesLookAlikesAndHiddenCharacters) {
  EXPECT_EQ(WhyNotAnIdentity("alice@example.com"), "");
  EXPECT_EQ(WhyNotAnIdentity("Ren\u00e9e Dupont"), "");
  EXPECT_EQ(WhyNotAnIdentity("\u0430\u043b\u0451\u043d\u0430"), "");  // all Cyrillic
  EXPECT_NE(WhyNotAnIdentity("\u0430pikey:admin").find("mixes"), std::string::npos);
  EXPECT_NE(WhyNotAnIdentity("apikey\u200b:admin").find("invisible"), std::string::npos);
  EXPECT_NE(WhyNotAnIdentity("bob\nadmin").find("control"), std::string::npos);
  EXPECT_NE(WhyNotAnIdentity("bob\x7f").find("control"), std::string::npos);
  EXPECT_NE(WhyNotAnIdentity("bob\xff").find("UTF-8"), std::string::npos);
  // Other scripts' look-alikes of Latin letters, by Unicode's script of each letter.
  EXPECT_NE(WhyNotAnIdentity("b\u0585b").find("mixes"), std::string::npos);  // Armenian
  EXPECT_NE(WhyNotAnIdentity("\ua4d0OB").find("mixes"), std::string::npos);  // Lisu
  EXPECT_NE(WhyNotAnIdentity("b\u1c82b").find("mixes"), std::string::npos);  // Cyrillic Ext-C
  EXPECT_EQ(WhyNotAnIdentity("yamada \u5c71\u7530\u305f\u308d\u3046"), "");  // Latin, Han, kana
  EXPECT_EQ(WhyNotAnIdentity("\u738b\u4f1f"), "");
  // Characters that show nothing, or nothing a reader tells apart.
  for (const char* hidden :
       {"bo\ufff9b", "bo\U00013430b", "bo\U0001d159b", "bo\u200eb", "bo\ue000b", "bob\U0001f600",
        "bo\u0378b", "a\u2229\u2229a", "apikey\u2982k-agent", "bob\u02dc"}) {
    EXPECT_NE(WhyNotAnIdentity(hidden).find("invisible"), std::string::npos) << hidden;
  }
  // Joiners where a script writes names with them (after a virama; a ZWNJ between letters that
  // would join), and nowhere else.
  EXPECT_EQ(WhyNotAnIdentity("\u0639\u0644\u06cc\u200c\u0631\u0636\u0627"), "");  // علی‌رضا
  EXPECT_EQ(WhyNotAnIdentity("\u0dc1\u0dca\u200d\u0dbb\u0dd3"), "");  // ශ්‍රී, Sinhala
  EXPECT_EQ(WhyNotAnIdentity("\u0915\u094d\u200c\u0937"), "");        // Devanagari
  for (const char* hidden :
       {"bo\u200cb", "bo\u200db", "\u200c\u0639\u0644\u06cc", "\u0639\u0644\u06cc\u200c",
        "\u0631\u200c\u0631", "apikey:k-\u200dagent"}) {
    EXPECT_NE(WhyNotAnIdentity(hidden).find("invisible"), std::string::npos) << hidden;
  }
}

// A person field holds a name someone could sign in with: an invisible character inside made
// "apikey:k-\u200bagent" read as an agent's own name while escaping the rule against approving
// one's own request.
TEST(CheckPersonName, RefusesWhatNoIdentityCouldBeNamed) {
  EXPECT_TRUE(CheckPersonName("assignee", "").ok());
  EXPECT_TRUE(CheckPersonName("assignee", "J\u00fcrgen M\u00fcller").ok());
  const absl::Status hidden = CheckPersonName("change.assignee", "apikey:k-\u200bagent");
  EXPECT_EQ(hidden.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(hidden.message().find("change.assignee"), std::string::npos) << hidden;
  EXPECT_NE(hidden.message().find("invisible"), std::string::npos) << hidden;
  EXPECT_FALSE(CheckPersonName("assignee", "\u0430pikey:admin").ok());  // Cyrillic "а"
  EXPECT_FALSE(CheckPersonName("assignee", " bob").ok());
  EXPECT_FALSE(CheckPersonName("assignee", "\u3000").ok());
}

}  // namespace

}  // namespace itsm::base
