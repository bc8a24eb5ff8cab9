// A contact's e-mail address and phone number: what people write is accepted, what no mail system
// or phone can use is refused naming the field, and a stored contact never blocks other edits.
#include "services/supplier/src/contact_details.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace itsm::supplier {
namespace {

TEST(ContactDetails, EmailAddressesPeopleUseAreAccepted) {
  for (const char* address :
       {"ops@example.com", "first.last+itsm@mail.example.co.uk", "o'brien@example.ie",
        "иван@example.com", "ivan@пример.рф", "δοκιμή@example.gr", "josé@exämple.es",
        "用户@例子.广告", "müller@bücher.de", "desk@xn--bcher-kva.de", "a@b.io"}) {
    EXPECT_TRUE(CheckEmailAddress("e", address).ok()) << address;
  }
}

TEST(ContactDetails, EmailAddressesNoMailSystemTakesAreRefusedNamingTheField) {
  for (const char* address : {"bob",
                              "bob at example.com",
                              "@example.com",
                              "bob@",
                              "bob@localhost",
                              "bob@@example.com",
                              "bob smith@example.com",
                              ".bob@example.com",
                              "bob.@example.com",
                              "bo..b@example.com",
                              "bob@-example.com",
                              "bob@example-.com",
                              "bob@example..com",
                              "bob@exa_mple.com",
                              "bob@example.com.",
                              "<bob@example.com>",
                              "bob@example.com, eve@example.com",
                              "a@b.com\u200b",
                              "a@b.com\u202e",
                              "a\u00a0b@b.com",
                              "a@b\u00a0.com",
                              "\u00ad@b.com",
                              "a@1.2.3.4",
                              "a@b.123",
                              "\u3164@\u3164.com",
                              "a\u034fb@example.com",
                              "\u0301a@example.com",
                              "a@\u0301b.com",
                              "\uff41nn@example.com",
                              "a\ue000@example.com",
                              "p\u0430ypal@example.com"}) {
    const absl::Status status = CheckEmailAddress("supplier.contacts[0].email", address);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << address;
    EXPECT_TRUE(absl::StartsWith(status.message(), "supplier.contacts[0].email: ")) << status;
  }
  EXPECT_FALSE(CheckEmailAddress("e", std::string(65, 'a') + "@example.com").ok());
  EXPECT_FALSE(CheckEmailAddress("e", "a@" + std::string(64, 'b') + ".com").ok());
}

TEST(ContactDetails, PhoneNumbersAsPeopleWriteThemAreAccepted) {
  for (const char* number :
       {"+44 20 7946 0958", "(555) 123-4567", "030/1234567", "112", "+1.555.123.4567 ext. 89",
        "+49 30 1234567 x12", "555-0100 Ext 7", "+41446681800"}) {
    EXPECT_TRUE(CheckPhoneNumber("p", number).ok()) << number;
  }
}

TEST(ContactDetails, PhoneNumbersNobodyCanDialAreRefusedNamingTheField) {
  for (const char* number :
       {"call Bob", "12", "+", "555-CALL-NOW", "+44 20 7946 0958 ext", "+44 20 7946 0958 ext. 12a",
        "++44 20 7946 0958", "#555 0100", "123456789012345678901", "555 0100; 555 0101"}) {
    const absl::Status status = CheckPhoneNumber("supplier.contacts[1].phone", number);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << number;
    EXPECT_TRUE(absl::StartsWith(status.message(), "supplier.contacts[1].phone: ")) << status;
  }
}

TEST(ContactDetails, AnErrorQuotesTheWholeCharacterInValidUtf8) {
  const absl::Status phone = CheckPhoneNumber("p", "+49\u00a030 123");
  EXPECT_EQ(phone.message(),
            "p: '\u00a0' (U+00A0) is not part of a phone number (digits, spaces, + - . / ( ))");
  const absl::Status symbol = CheckPhoneNumber("p", "+49 30 123 \u260e");
  EXPECT_TRUE(absl::StrContains(symbol.message(), "'\u260e' (U+260E)")) << symbol;
  EXPECT_EQ(CheckEmailAddress("e", "a\u260e@b.com").code(), absl::StatusCode::kInvalidArgument);
}

TEST(ContactDetails, OnlyWhatAWriteIntroducesIsChecked) {
  v1::Supplier before;
  v1::Contact* old = before.add_contacts();
  old->set_name("Bob");
  old->set_email("bob at acme");  // stored before these checks existed
  old->set_phone("call Bob");
  v1::Supplier after = before;
  EXPECT_TRUE(CheckNewContactDetails("supplier.", before, after).ok());

  v1::Contact* added = after.add_contacts();
  added->set_name("Eve");
  added->set_email("eve@acme");
  const absl::Status refused = CheckNewContactDetails("supplier.", before, after);
  EXPECT_TRUE(absl::StartsWith(refused.message(), "supplier.contacts[1].email: ")) << refused;

  added->set_email("eve@acme.example");
  added->set_phone("+1 555 0100");
  EXPECT_TRUE(CheckNewContactDetails("supplier.", before, after).ok());
  EXPECT_TRUE(CheckNewContactDetails("supplier.", v1::Supplier(), before).code() ==
              absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace itsm::supplier
