#include "custody/common/clock.h"

#include <gtest/gtest.h>

namespace custody {
namespace {

TEST(ClockTest, Rfc3339RoundTrip) {
  SystemTime parsed;
  ASSERT_TRUE(ParseRfc3339("2015-08-30T12:36:00Z", &parsed));
  EXPECT_EQ(ToUnixSeconds(parsed), 1440938160);
  EXPECT_EQ(FormatRfc3339(parsed), "2015-08-30T12:36:00Z");
}

TEST(ClockTest, Rfc3339AcceptsFraction) {
  SystemTime parsed;
  ASSERT_TRUE(ParseRfc3339("2026-12-04T16:19:18.123Z", &parsed));
  EXPECT_EQ(FormatRfc3339(parsed), "2026-12-04T16:19:18Z");
}

TEST(ClockTest, Rfc3339RejectsMalformed) {
  const char* bad[] = {"",
                       "2026-12-04",
                       "2026-12-04T16:19:18",
                       "2026-13-04T16:19:18Z",
                       "2026-12-04T16:19:18+01:00",
                       "2026-12-04T16:19:18Zjunk"};
  for (const char* text : bad) {
    SystemTime parsed;
    EXPECT_FALSE(ParseRfc3339(text, &parsed)) << text;
  }
}

TEST(ClockTest, FixedClockAdvances) {
  FixedClock clock(FromUnixSeconds(1000));
  clock.Advance(std::chrono::seconds(30));
  EXPECT_EQ(ToUnixSeconds(clock.Now()), 1030);
}

}  // namespace
}  // namespace custody
