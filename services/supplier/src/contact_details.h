// How a supplier's contact can be reached: the e-mail address and telephone number of a
// Contact, checked where they are written so that an escalation at 3 a.m. does not find
// "call Bob" in the phone field. Both are optional; given, each must be usable as written.
#ifndef ITSM_SERVICES_SUPPLIER_CONTACT_DETAILS_H_
#define ITSM_SERVICES_SUPPLIER_CONTACT_DETAILS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {

// An address a mail system accepts: local@domain with a dotted domain (HTML's "valid e-mail
// address", with UTF-8 letters allowed for internationalised addresses). INVALID_ARGUMENT
// naming `field` otherwise.
absl::Status CheckEmailAddress(const std::string& field, absl::string_view address);

// A number people can dial: digits with the usual separators (space - . / and parentheses), an
// optional leading +, an optional extension ("x 12", "ext. 12"), 3 to 20 digits before it.
absl::Status CheckPhoneNumber(const std::string& field, absl::string_view number);

// The contacts of `after` whose e-mail address or phone number is not exactly one `before`
// already had: what a write introduces is checked, a stored contact does not block other edits.
absl::Status CheckNewContactDetails(const std::string& prefix, const v1::Supplier& before,
                                    const v1::Supplier& after);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_CONTACT_DETAILS_H_
