// Every event type of every domain, with every field of its record at its declared limit, fits
// what the outbox accepts and so what the broker takes: an accepted record can always be
// published (issue: an accepted calendar of 1.4 MB stopped a service's events for good).
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/config/v1/events.pb.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/limits/field_limits.h"
#include "itsm/outbox/outbox.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/supplier/v1/events.pb.h"

namespace itsm::outbox {
namespace {

TEST(EventSize, EveryEventTypeFitsTheOutboxAtItsFieldLimits) {
  int checked = 0;
  for (const google::protobuf::FileDescriptor* file :
       {incident::v1::IncidentCreated::descriptor()->file(),
        change::v1::ChangeCreated::descriptor()->file(),
        config::v1::CiCreated::descriptor()->file(), sla::v1::SlaBreached::descriptor()->file(),
        supplier::v1::ContractRenewed::descriptor()->file()}) {
    for (int i = 0; i < file->message_type_count(); ++i) {
      const google::protobuf::Descriptor* event = file->message_type(i);
      const size_t bound = limits::MaxEncodedSize(event);
      EXPECT_LE(bound, Outbox::kMaxEventBytes) << event->full_name();
      ++checked;
    }
  }
  EXPECT_GT(checked, 30);
}

}  // namespace
}  // namespace itsm::outbox
