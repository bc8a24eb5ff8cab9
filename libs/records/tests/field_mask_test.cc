#include "itsm/records/field_mask.h"

#include "gtest/gtest.h"
#include "itsm/incident/v1/incident.pb.h"

namespace itsm::records {
namespace {

using incident::v1::Incident;

const UpdatableFields kFields{.paths = {"title", "configuration_item_ids", "impact"},
                              .elsewhere = {{"state", "TransitionIncident"}}};

google::protobuf::FieldMask Mask(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* p : paths) mask.add_paths(p);
  return mask;
}

TEST(CheckUpdateMask, NamesWhatIsWrongWithTheMask) {
  EXPECT_TRUE(CheckUpdateMask(Mask({"title", "impact"}), kFields).ok());
  EXPECT_EQ(CheckUpdateMask(Mask({}), kFields).message(),
            "update_mask: required (the fields to change)");
  EXPECT_EQ(CheckUpdateMask(Mask({"state"}), kFields).message(),
            "update_mask: \"state\" changes through TransitionIncident");
  EXPECT_EQ(CheckUpdateMask(Mask({"number"}), kFields).message(),
            "update_mask: unknown or read-only field \"number\"");
  EXPECT_EQ(CheckUpdateMask(Mask({"title", "title"}), kFields).message(),
            "update_mask: \"title\" named twice");
}

TEST(ApplyUpdateMask, ReplacesTheNamedFieldsWholeAndLeavesTheRest) {
  Incident stored;
  stored.set_title("old");
  stored.set_description("kept");
  stored.add_configuration_item_ids("a");
  stored.add_configuration_item_ids("b");
  stored.set_impact(2);
  Incident in;
  in.set_title("new");
  in.set_description("ignored");
  in.add_configuration_item_ids("c");
  ApplyUpdateMask(Mask({"title", "configuration_item_ids", "impact"}), in, stored);
  EXPECT_EQ(stored.title(), "new");
  EXPECT_EQ(stored.description(), "kept");
  ASSERT_EQ(stored.configuration_item_ids_size(), 1);
  EXPECT_EQ(stored.configuration_item_ids(0), "c");
  EXPECT_EQ(stored.impact(), 0) << "an unset field in the request clears the field";
}

}  // namespace
}  // namespace itsm::records
