#include "custody/audit/record.h"

#include <gtest/gtest.h>

#include "custody/crypto/encoding.h"
#include "custody/store/database.h"

namespace custody::audit {
namespace {

Record SampleRecord() {
  Record record;
  record.organization_id = "org_1";
  record.actor = "usr_2";
  record.action = "a.b";
  record.resource = "r/3";
  record.decision = "allow";
  record.reason = "";
  record.request_id = "req";
  record.source = "127.0.0.1";
  record.time = store::FromUnixMicros(1'700'000'000'123'456);
  return record;
}

// The bytes are computed independently of this code from the layout in
// docs/audit-log-format.md; a change here is a change of the stored format.
TEST(RecordTest, EncodingMatchesGoldenBytes) {
  const std::string expected_hex =
      "01"                // version
      "0000000000000005"  // seq
      "00060a2418202240"  // time, microseconds
      "00000005"
      "6f72675f31"  // organization_id "org_1"
      "00000005"
      "7573725f32"  // actor "usr_2"
      "00000003"
      "612e62"  // action "a.b"
      "00000003"
      "722f33"  // resource "r/3"
      "00000005"
      "616c6c6f77"  // decision "allow"
      "00000000"    // reason ""
      "00000003"
      "726571"  // request_id "req"
      "00000009"
      "3132372e302e302e31";  // source "127.0.0.1"
  EXPECT_EQ(crypto::HexEncode(Encode(5, SampleRecord())), expected_hex);
}

TEST(RecordTest, TimeBeforeEpochIsTwosComplement) {
  Record record = SampleRecord();
  record.time = store::FromUnixMicros(-1);
  const std::string encoded = Encode(0, record);
  EXPECT_EQ(crypto::HexEncode(encoded.substr(9, 8)), "ffffffffffffffff");
  Result<DecodedRecord> decoded = Decode(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->record.time, record.time);
}

TEST(RecordTest, DecodeRoundTrips) {
  const std::string encoded = Encode(42, SampleRecord());
  Result<DecodedRecord> decoded = Decode(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->seq, 42u);
  EXPECT_EQ(decoded->record, SampleRecord());
  EXPECT_EQ(Encode(decoded->seq, decoded->record), encoded);
}

TEST(RecordTest, DecodeRejectsDamagedBytes) {
  const std::string encoded = Encode(7, SampleRecord());

  std::string other_version = encoded;
  other_version[0] = 2;
  EXPECT_FALSE(Decode(other_version).ok());

  EXPECT_FALSE(Decode("").ok());
  EXPECT_FALSE(Decode(encoded + "x").ok());
  for (size_t length = 0; length < encoded.size(); ++length) {
    EXPECT_FALSE(Decode(encoded.substr(0, length)).ok()) << "truncated to " << length;
  }

  std::string huge_length = encoded;
  huge_length[17] = '\x7f';  // first byte of organization_id's length
  EXPECT_FALSE(Decode(huge_length).ok());
}

TEST(RecordTest, DecodeRejectsInvalidDecision) {
  Record record = SampleRecord();
  record.decision = "maybe";
  EXPECT_FALSE(Decode(Encode(1, record)).ok());
}

TEST(RecordTest, ValidateRequiresActorActionDecision) {
  EXPECT_TRUE(ValidateRecord(SampleRecord()).ok());

  Record no_actor = SampleRecord();
  no_actor.actor.clear();
  EXPECT_EQ(ValidateRecord(no_actor).code(), ErrorCode::kInvalidArgument);

  Record no_action = SampleRecord();
  no_action.action.clear();
  EXPECT_EQ(ValidateRecord(no_action).code(), ErrorCode::kInvalidArgument);

  Record bad_decision = SampleRecord();
  bad_decision.decision = "Allow";
  EXPECT_EQ(ValidateRecord(bad_decision).code(), ErrorCode::kInvalidArgument);

  Record long_field = SampleRecord();
  long_field.source = std::string(kMaxFieldBytes + 1, 'x');
  EXPECT_EQ(ValidateRecord(long_field).code(), ErrorCode::kInvalidArgument);
  long_field.source.pop_back();
  EXPECT_TRUE(ValidateRecord(long_field).ok());
}

}  // namespace
}  // namespace custody::audit
