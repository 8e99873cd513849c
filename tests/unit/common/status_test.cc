#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "common/grpc_status.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace shouhu {
namespace {

// The richer error model as googleapis defines it: what buf curl, grpcurl and other languages' clients read.
TEST(ToGrpcStatus, InvalidField_CarriesAGoogleRpcStatusWithABadRequestFieldViolation) {
  grpc::Status status = ToGrpcStatus(InvalidField("child.birth_date", "must be a date written YYYY-MM-DD"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "child.birth_date: must be a date written YYYY-MM-DD");
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  EXPECT_EQ(details.code(), 3);
  EXPECT_EQ(details.message(), status.error_message());
  ASSERT_EQ(details.details_size(), 1);
  EXPECT_EQ(details.details(0).type_url(), "type.googleapis.com/google.rpc.BadRequest");
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "child.birth_date");
  EXPECT_EQ(bad_request.field_violations(0).description(), "must be a date written YYYY-MM-DD");
}

// Field numbers as googleapis has them (Status: code 1, message 2, details 3; BadRequest: field_violations 1;
// FieldViolation: field 1, description 2), checked on the bytes rather than through our own descriptors.
TEST(ToGrpcStatus, Details_AreWireCompatibleWithGoogleapis) {
  const std::string bytes = ToGrpcStatus(InvalidField("f", "d")).error_details();
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(bytes));
  const std::string any = details.details(0).SerializeAsString();
  const std::string violation = std::string(
      "\x0a\x01"
      "f"
      "\x12\x01"
      "d",
      6);
  const std::string bad_request = "\x0a" + std::string(1, static_cast<char>(violation.size())) + violation;
  const std::string type_url = "type.googleapis.com/google.rpc.BadRequest";
  const std::string expected_any = "\x0a" + std::string(1, static_cast<char>(type_url.size())) + type_url +
                                   "\x12" + std::string(1, static_cast<char>(bad_request.size())) +
                                   bad_request;
  EXPECT_EQ(any, expected_any);
  const std::string message = "f: d";
  const std::string expected = "\x08\x03\x12" + std::string(1, static_cast<char>(message.size())) + message +
                               "\x1a" + std::string(1, static_cast<char>(expected_any.size())) + expected_any;
  EXPECT_EQ(bytes, expected);
}

TEST(ToGrpcStatus, NoField_SendsNoDetails) {
  EXPECT_TRUE(ToGrpcStatus(absl::NotFoundError("no such child")).error_details().empty());
}

// A database outage's own words ("database error 2002 (HY000)") are for the log, not for callers.
TEST(ToGrpcStatus, InternalFaults_CarryAPlainMessageAndKeepTheirCode) {
  const struct {
    absl::Status status;
    grpc::StatusCode code;
    std::string message;
  } cases[] = {
      {absl::UnavailableError("database error 2002 (HY000)"), grpc::StatusCode::UNAVAILABLE,
       "the service is temporarily unavailable; retry later"},
      {absl::InternalError("database error 1146 (42S02)"), grpc::StatusCode::INTERNAL, "internal error"},
      {absl::UnknownError("connect to 10.0.0.7:3306 failed"), grpc::StatusCode::UNKNOWN, "internal error"},
      {absl::DataLossError("row 01J9 unreadable"), grpc::StatusCode::DATA_LOSS, "internal error"},
  };
  for (const auto& c : cases) {
    const grpc::Status status = ToGrpcStatus(c.status);
    EXPECT_EQ(status.error_code(), c.code) << c.status;
    EXPECT_EQ(status.error_message(), c.message) << c.status;
    EXPECT_TRUE(status.error_details().empty()) << c.status;
  }
}

TEST(ToGrpcStatus, CallerFacingCodes_KeepTheirMessage) {
  for (const absl::Status& s :
       {absl::NotFoundError("no such child"), absl::FailedPreconditionError("the case is closed"),
        absl::PermissionDeniedError("the caller's roles may not call this method"),
        absl::ResourceExhaustedError("rate limit exceeded; retry later"),
        absl::AlreadyExistsError("the request id was used for another request")}) {
    EXPECT_EQ(ToGrpcStatus(s).error_message(), s.message()) << s;
  }
}

TEST(ToGrpcStatus, WithALogger_LogsTheDetailItHides) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    Logger logger("test", out);
    const grpc::Status status = ToGrpcStatus(absl::UnavailableError("database error 2002 (HY000)"), logger,
                                             "/shouhu.registry.v1.RegistryService/GetChild");
    EXPECT_EQ(status.error_message(), "the service is temporarily unavailable; retry later");
    (void)ToGrpcStatus(absl::NotFoundError("no such child"), logger, "/x.v1.S/M");  // nothing to log
  }
  std::rewind(out);
  std::string logged;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, out) != nullptr) logged += buffer;
  std::fclose(out);
  EXPECT_NE(logged.find("database error 2002 (HY000)"), std::string::npos) << logged;
  EXPECT_NE(logged.find("RegistryService/GetChild"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("no such child"), std::string::npos) << logged;
}

TEST(ToGrpcStatus, CodesMapOneToOne) {
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("x")).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ToGrpcStatus(absl::FailedPreconditionError("x")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ToGrpcStatus(absl::UnauthenticatedError("x")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(FromGrpcStatus, RoundTripsCodeMessageAndField) {
  absl::Status back = FromGrpcStatus(ToGrpcStatus(InvalidField("guardians[1].status", "is required")));
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(back.message(), "guardians[1].status: is required");
  EXPECT_EQ(FieldOf(back), "guardians[1].status");
}

// What another implementation may send: a google.rpc.Status with other details before the BadRequest.
TEST(FromGrpcStatus, ReadsTheFieldFromAnyGoogleRpcStatus) {
  google::rpc::Status details;
  details.set_code(3);
  details.set_message("bad");
  details.add_details()->PackFrom(google::rpc::Status());  // not a BadRequest: skipped
  google::rpc::BadRequest bad_request;
  bad_request.add_field_violations()->set_field("page_size");
  details.add_details()->PackFrom(bad_request);
  const grpc::Status status(grpc::StatusCode::INVALID_ARGUMENT, "bad", details.SerializeAsString());
  EXPECT_EQ(FieldOf(FromGrpcStatus(status)), "page_size");
  EXPECT_EQ(FieldOfGrpcStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad", "not a proto")), "");
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

TEST(MaySendAgain, OutagesOverloadAndDeadlocks_NotStaleEditsNorRefusals) {
  EXPECT_TRUE(MaySendAgain(grpc::Status(grpc::StatusCode::UNAVAILABLE, "draining")));
  EXPECT_TRUE(MaySendAgain(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "overloaded")));
  EXPECT_TRUE(MaySendAgain(ToGrpcStatus(absl::AbortedError("deadlock"))));
  EXPECT_FALSE(MaySendAgain(ToGrpcStatus(StaleVersion("the case changed meanwhile", 7))));
  for (auto code : {grpc::StatusCode::OK, grpc::StatusCode::INVALID_ARGUMENT, grpc::StatusCode::NOT_FOUND,
                    grpc::StatusCode::PERMISSION_DENIED, grpc::StatusCode::FAILED_PRECONDITION,
                    grpc::StatusCode::DEADLINE_EXCEEDED, grpc::StatusCode::INTERNAL}) {
    EXPECT_FALSE(MaySendAgain(grpc::Status(code, "x"))) << code;
  }
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
