#include <gtest/gtest.h>

#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "shouhu/common/v1/errors.pb.h"

namespace shouhu {
namespace {

TEST(ToGrpcStatus, InvalidField_CarriesTheFieldInErrorDetails) {
  grpc::Status status = ToGrpcStatus(InvalidField("child.birth_date", "must be a date written YYYY-MM-DD"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "child.birth_date: must be a date written YYYY-MM-DD");
  common::v1::ErrorDetail detail;
  ASSERT_TRUE(detail.ParseFromString(status.error_details()));
  ASSERT_EQ(detail.field_violations_size(), 1);
  EXPECT_EQ(detail.field_violations(0).field(), "child.birth_date");
}

TEST(ToGrpcStatus, CodesMapOneToOne) {
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("x")).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ToGrpcStatus(absl::FailedPreconditionError("x")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ToGrpcStatus(absl::UnauthenticatedError("x")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(FromGrpcStatus, RoundTripsCodeAndField) {
  absl::Status back = FromGrpcStatus(ToGrpcStatus(InvalidField("guardians[1].status", "is required")));
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(back), "guardians[1].status");
}

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::StatusOr<int> Quarter(int n) {
  ASSIGN_OR_RETURN(int half, Half(n));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusMacros, AssignOrReturn_PropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Retryable, MarksSurviveCopies) {
  absl::Status s = MarkRetryable(absl::AbortedError("deadlock"));
  absl::Status copy = s;
  EXPECT_TRUE(IsRetryable(copy));
  EXPECT_FALSE(IsRetryable(absl::AbortedError("domain conflict")));
}

}  // namespace
}  // namespace shouhu
