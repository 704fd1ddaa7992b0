#include "common/status.h"

#include <gtest/gtest.h>

namespace weft {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status(StatusCode::kInvalidArgument, "odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  WEFT_ASSIGN_OR_RETURN(int h, Half(x));
  WEFT_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkByDefaultAndCarriesCodeAndMessage) {
  EXPECT_TRUE(Status().ok());
  Status s(StatusCode::kNotFound, "target weft-OST0001");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToErrno(), ENOENT);
  EXPECT_EQ(s.ToString(), "kNotFound: target weft-OST0001");
  EXPECT_EQ(s.WithContext("lookup").message(), "lookup: target weft-OST0001");
}

TEST(StatusTest, ErrnoMappingCoversEveryCode) {
  EXPECT_EQ(StatusCodeToErrno(StatusCode::kNoSpace), ENOSPC);
  EXPECT_EQ(StatusCodeToErrno(StatusCode::kMgsIndexConflict), EEXIST);
  EXPECT_EQ(StatusCodeToErrno(static_cast<StatusCode>(987654)), EIO);
  EXPECT_TRUE(IsKnownStatusCode(1100));
  EXPECT_FALSE(IsKnownStatusCode(987654));
  EXPECT_EQ(StatusCodeName(static_cast<StatusCode>(987654)), "kUnknown(987654)");
}

TEST(StatusTest, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "odd: 3");
}

TEST(StatusTest, ErrnoStatusNamesTheCall) {
  Status s = ErrnoStatus("open(/nope)", ENOENT);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("open(/nope)"), std::string::npos);
}

}  // namespace
}  // namespace weft
