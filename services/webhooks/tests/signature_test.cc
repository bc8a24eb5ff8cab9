// Standard Webhooks signatures: the spec's published example, generated secrets, verification
// (several signatures in a header, tampering), and an independent check by Python's hmac module.
#include "services/webhooks/src/signature.h"

#include <cstdio>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace itsm::webhooks {
namespace {

// The example of the Standard Webhooks specification (and of its reference libraries' tests).
constexpr char kSpecSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kSpecId[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kSpecTimestamp = 1614265330;
constexpr char kSpecBody[] = R"({"test": 2432232314})";
constexpr char kSpecSignature[] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(Signature, MatchesTheSpecificationsExample) {
  absl::StatusOr<std::string> sig = Sign(kSpecSecret, kSpecId, kSpecTimestamp, kSpecBody);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(*sig, kSpecSignature);
}

TEST(Signature, VerifiesAnyOfSeveralSignaturesAndRefusesTampering) {
  const std::string header = absl::StrCat("v1,bm90IGl0 ", kSpecSignature);
  EXPECT_TRUE(Verify(kSpecSecret, kSpecId, kSpecTimestamp, kSpecBody, header));
  EXPECT_FALSE(Verify(kSpecSecret, kSpecId, kSpecTimestamp + 1, kSpecBody, header));
  EXPECT_FALSE(Verify(kSpecSecret, "msg_other", kSpecTimestamp, kSpecBody, header));
  EXPECT_FALSE(Verify(kSpecSecret, kSpecId, kSpecTimestamp, R"({"test": 2432232315})", header));
  EXPECT_FALSE(
      Verify("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", kSpecId, kSpecTimestamp, kSpecBody, header));
}

TEST(Signature, NewSecretsAreWhsecAnd32RandomBytes) {
  absl::StatusOr<std::string> a = NewSecret();
  absl::StatusOr<std::string> b = NewSecret();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(absl::StartsWith(*a, "whsec_")) << *a;
  EXPECT_NE(*a, *b);
  absl::StatusOr<std::string> key = SecretKey(*a);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), 32u);
}

TEST(Signature, RefusesSecretsThatAreNotBase64OfEnoughBytes) {
  EXPECT_FALSE(SecretKey("whsec_not base64!").ok());
  EXPECT_FALSE(SecretKey("whsec_" + absl::Base64Escape("short")).ok());
  EXPECT_FALSE(Sign("whsec_", "id", 1, "body").ok());
}

// Runs `command` and returns its standard output (trailing newline removed).
std::string RunCommand(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return "";
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof(buf), pipe.get()) != nullptr) out += buf;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// An implementation that shares nothing with ours: Python's hmac and base64, fed the secret,
// id, timestamp and body through the environment, as a receiver would verify.
TEST(Signature, PythonsHmacComputesTheSameSignature) {
  absl::StatusOr<std::string> secret = NewSecret();
  ASSERT_TRUE(secret.ok());
  const std::string id = "0b4f2c1e-5d3a-4c4e-9a1b-2f6d7e8c9a0b";
  const int64_t timestamp = 1767225600;
  const std::string body = R"({"specversion":"1.0","type":"itsm.incident.v1.IncidentCreated",)"
                           R"("data":{"incident":{"title":"Mail down \u00e9"}}})";
  absl::StatusOr<std::string> ours = Sign(*secret, id, timestamp, body);
  ASSERT_TRUE(ours.ok());
  setenv("WH_SECRET", secret->c_str(), 1);
  setenv("WH_ID", id.c_str(), 1);
  setenv("WH_TS", absl::StrCat(timestamp).c_str(), 1);
  setenv("WH_BODY", body.c_str(), 1);
  const std::string python = RunCommand(
      "python3 -c 'import base64, hashlib, hmac, os\n"
      "key = base64.b64decode(os.environ[\"WH_SECRET\"].removeprefix(\"whsec_\"))\n"
      "msg = \"{}.{}.{}\".format(os.environ[\"WH_ID\"], os.environ[\"WH_TS\"], "
      "os.environ[\"WH_BODY\"]).encode()\n"
      "print(\"v1,\" + base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode())'");
  ASSERT_FALSE(python.empty()) << "python3 is needed (tools/install-deps.sh installs it)";
  EXPECT_EQ(python, *ours);
}

}  // namespace
}  // namespace itsm::webhooks
