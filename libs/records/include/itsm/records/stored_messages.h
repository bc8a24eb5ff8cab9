// Records are stored as their serialised API message. An answer can carry them as stored:
// appended to the answer's unknown fields under the number of its repeated record field, each is
// on the wire exactly one element of that field (a repeated message field is a sequence of
// length-delimited records, and a parser takes fields in any order), so no record is parsed into
// a message and serialised again on its way out (decision 176).
//
// Only for answers that leave the process: inside it, the answer's record field looks empty and
// the records sit in its unknown fields until the answer is serialised and parsed again.
#ifndef ITSM_RECORDS_STORED_MESSAGES_H_
#define ITSM_RECORDS_STORED_MESSAGES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace itsm::records {

// Appends `stored` (serialised records, in order) as elements of `answer`'s repeated message
// field number `field_number`. INTERNAL when the answer has no such field (a bug: the records
// would go out as a field of another type); DATA_LOSS, with nothing appended, when a record's
// top-level fields are not well framed (a damaged store: a client's parse of the answer would
// fail, or in gRPC's C++ callback client silently stop half-way). Damage inside a field's own
// bytes is not seen.
absl::Status AppendStoredMessages(int field_number, std::vector<std::string> stored,
                                  google::protobuf::Message& answer);

// The same for one record: `stored` becomes `answer`'s singular message field number
// `field_number` (a get's answer). INTERNAL when the answer has no such field or already holds
// it (two copies of a message field would be merged by the parser); DATA_LOSS as above.
absl::Status SetStoredMessage(int field_number, std::string stored,
                              google::protobuf::Message& answer);

}  // namespace itsm::records

#endif  // ITSM_RECORDS_STORED_MESSAGES_H_
