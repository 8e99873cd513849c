#include "services/registry/roster_service.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/streamed_call.h"
#include "common/validation.h"
#include "services/registry/logged_read.h"
#include "services/registry/roster_rows.h"

namespace shouhu::registry {
namespace {

constexpr size_t kMaxImportIdChars = 64;
// A county's roster lists thousands to tens of thousands of children; beyond this a comparison is refused
// rather than held in memory (about 100 bytes a row: 50 MB at the limit).
constexpr int64_t kMaxCompareRows = 500'000;

absl::Status ValidateCounty(const std::string& code) {
  if (DivisionLevel(code) != 3) return InvalidField("header.county_code", "must be a 6-digit county code");
  return absl::OkStatus();
}

absl::Status ValidateChunkRows(int rows) {
  if (rows == 0) return InvalidField("chunk.rows", "at least one row is required");
  if (rows > kMaxRosterChunkRows) return InvalidField("chunk.rows", "at most 1000 rows in a chunk");
  return absl::OkStatus();
}

void SortRejections(google::protobuf::RepeatedPtrField<v1::RowRejection>& rejections) {
  std::stable_sort(
      rejections.begin(), rejections.end(),
      [](const v1::RowRejection& a, const v1::RowRejection& b) { return a.row_number() < b.row_number(); });
}

}  // namespace

// ---- import
// ----------------------------------------------------------------------------------------------------

class RosterService::ImportCall final : public StreamedCall<v1::ImportRosterRequest> {
 public:
  ImportCall(grpc::CallbackServerContext* context, RosterService& service, v1::ImportRosterResponse* answer)
      : StreamedCall(context, service.workers_), service_(service), answer_(*answer) {}

 private:
  absl::Status Step(const v1::ImportRosterRequest& request) override {
    if (!principal_) {
      // Authentication and roles come before anything about the request, as at every edge.
      ASSIGN_OR_RETURN(principal_, service_.edge_.Admit(*context_, "ImportRoster"));
      if (!request.has_header()) return InvalidField("header", "must come first");
      return Start(request.header());
    }
    if (request.has_header()) return InvalidField("header", "comes once, first");
    if (!request.has_chunk()) return InvalidField("chunk", "is required after the header");
    return Import(request.chunk());
  }

  absl::Status Start(const v1::RosterHeader& header) {
    RETURN_IF_ERROR(ValidateIdentifier(header.import_id(), "header.import_id", kMaxImportIdChars));
    RETURN_IF_ERROR(ValidateCounty(header.county_code()));
    // Another county's roster is as absent as its records are.
    if (!InJurisdiction(*principal_, header.county_code())) return absl::NotFoundError("county not found");
    ASSIGN_OR_RETURN(std::optional<v1::Division> county,
                     service_.registry_.GetDivision(header.county_code()));
    if (!county || county->level() != v1::DIVISION_LEVEL_COUNTY) {
      return InvalidField("header.county_code", "is not a known county");
    }
    header_ = header;
    return absl::OkStatus();
  }

  absl::Status Import(const v1::RosterChunk& chunk) {
    if (chunk.chunk_number() < 1) return InvalidField("chunk.chunk_number", "must be 1 or more");
    RETURN_IF_ERROR(ValidateChunkRows(chunk.rows_size()));
    const absl::CivilDay today = ShanghaiDay(service_.clock_.Now());
    std::vector<RosterEntry> entries;
    std::vector<v1::RowRejection> rejections;
    for (const v1::RosterRow& row : chunk.rows()) {
      absl::StatusOr<v1::Referral> child = Validate(row, today);
      if (child.ok()) {
        entries.push_back({row.row_number(), *std::move(child)});
      } else if (child.status().code() == absl::StatusCode::kInvalidArgument) {
        rejections.push_back(RejectionOf(row.row_number(), child.status()));
      } else {
        return child.status();
      }
    }
    // The chunk's idempotency key: its number within this import of this county, and the hash of its rows.
    const std::string request_id =
        absl::StrCat(header_.import_id(), "/", header_.county_code(), "/", chunk.chunk_number());
    absl::StatusOr<v1::ImportRosterResponse> counted = service_.roster_.ImportChunk(
        service_.edge_.Key("ImportRoster", *principal_, request_id, chunk),
        ActorOf(*principal_, service_.clock_.Now()), header_.import_id(), entries, rejections);
    if (!counted.ok() && FieldOf(counted.status()) == "request_id") {
      return InvalidField("chunk.chunk_number", "was sent before in this import with other rows");
    }
    RETURN_IF_ERROR(counted.status());
    answer_.set_chunks(answer_.chunks() + counted->chunks());
    answer_.set_rows(answer_.rows() + counted->rows());
    answer_.set_created(answer_.created() + counted->created());
    answer_.set_matched(answer_.matched() + counted->matched());
    answer_.set_rejected(answer_.rejected() + counted->rejected());
    for (auto& r : *counted->mutable_rejections()) *answer_.add_rejections() = std::move(r);
    return absl::OkStatus();
  }

  // A row as a referral is validated, in the header's county, in a village the division table knows.
  absl::StatusOr<v1::Referral> Validate(const v1::RosterRow& row, absl::CivilDay today) {
    if (row.row_number() < 1) return InvalidField("row_number", "must be 1 or more");
    ASSIGN_OR_RETURN(v1::Referral child, ValidateRosterRow(row, header_.county_code(), today));
    ASSIGN_OR_RETURN(std::optional<v1::Division> village,
                     service_.registry_.GetDivision(child.household().village_code()));
    if (!village || village->level() != v1::DIVISION_LEVEL_VILLAGE) {
      return InvalidField("household.village_code", "is not a known village");
    }
    return child;
  }

  void EndThen(std::function<void(const absl::Status&)> ended) override { ended(End()); }

  absl::Status End() {
    if (!principal_) {
      ASSIGN_OR_RETURN(principal_, service_.edge_.Admit(*context_, "ImportRoster"));
      return InvalidField("header", "is required");
    }
    SortRejections(*answer_.mutable_rejections());
    return absl::OkStatus();
  }

  RosterService& service_;
  v1::ImportRosterResponse& answer_;
  std::optional<Principal> principal_;
  v1::RosterHeader header_;
};

grpc::ServerReadReactor<v1::ImportRosterRequest>* RosterService::ImportRoster(
    grpc::CallbackServerContext* ctx, v1::ImportRosterResponse* resp) {
  auto* call = new ImportCall(ctx, *this, resp);
  call->Begin();
  return call;
}

// ---- drift
// -----------------------------------------------------------------------------------------------------

class RosterService::CompareCall final : public StreamedCall<v1::CompareRosterRequest> {
 public:
  CompareCall(grpc::CallbackServerContext* context, RosterService& service, v1::CompareRosterResponse* answer)
      : StreamedCall(context, service.workers_), service_(service), answer_(*answer) {}

 private:
  absl::Status Step(const v1::CompareRosterRequest& request) override {
    if (!principal_) {
      ASSIGN_OR_RETURN(principal_, service_.edge_.Admit(*context_, "CompareRoster"));
      if (!request.has_header()) return InvalidField("header", "must come first");
      return Start(request.header());
    }
    if (request.has_header()) return InvalidField("header", "comes once, first");
    if (!request.has_chunk()) return InvalidField("chunk", "is required after the header");
    return Collect(request.chunk());
  }

  absl::Status Start(const v1::RosterHeader& header) {
    RETURN_IF_ERROR(ValidateCounty(header.county_code()));
    RETURN_IF_ERROR(ValidateMeaningfulText(header.purpose(), "header.purpose", kMaxPurposeChars));
    if (!InJurisdiction(*principal_, header.county_code())) return absl::NotFoundError("county not found");
    header_ = header;
    return absl::OkStatus();
  }

  absl::Status Collect(const v1::RosterChunk& chunk) {
    RETURN_IF_ERROR(ValidateChunkRows(chunk.rows_size()));
    if (static_cast<int64_t>(roster_.size()) + chunk.rows_size() > kMaxCompareRows) {
      return InvalidField("chunk.rows", "a roster of at most 500,000 rows is compared");
    }
    const absl::CivilDay today = ShanghaiDay(service_.clock_.Now());
    for (const v1::RosterRow& row : chunk.rows()) {
      absl::StatusOr<v1::Referral> child = InvalidField("row_number", "must be 1 or more");
      if (row.row_number() >= 1) child = ValidateRosterRow(row, header_.county_code(), today);
      if (!child.ok()) {
        *rejections_.Add() = RejectionOf(row.row_number(), child.status());
        continue;
      }
      RosterChild& listed = roster_.emplace_back();
      listed.row_number = row.row_number();
      listed.resident_id_hash = service_.roster_.ResidentIdHash(child->child().resident_id());
      for (int c : child->categories()) listed.categories.push_back(static_cast<v1::ChildCategory>(c));
      for (const auto& g : child->guardians()) listed.guardian_statuses.push_back(g.status());
    }
    return absl::OkStatus();
  }

  // The answer leaves once its log rows are written, as every read of children's data; the worker is free
  // while they commit.
  void EndThen(std::function<void(const absl::Status&)> ended) override {
    absl::StatusOr<std::vector<AccessRecord>> access = Compare();
    if (!access.ok()) return ended(access.status());
    service_.registry_.RecordAccessThen(*std::move(access), std::move(ended));
  }

  // Builds the answer and returns the log rows of what it shows.
  absl::StatusOr<std::vector<AccessRecord>> Compare() {
    if (!principal_) {
      ASSIGN_OR_RETURN(principal_, service_.edge_.Admit(*context_, "CompareRoster"));
      return InvalidField("header", "is required");
    }
    ASSIGN_OR_RETURN(std::vector<RosterChild> registered,
                     service_.roster_.CountyChildren(header_.county_code()));
    answer_ = CompareRosterWithRegistry(roster_, registered);
    answer_.set_rows(answer_.rows() + rejections_.size());
    for (auto& r : rejections_) *answer_.add_rejections() = std::move(r);
    SortRejections(*answer_.mutable_rejections());
    // The children whose categories and guardians the answer shows (or whose absence it reports) were read.
    absl::flat_hash_map<std::string, const RosterChild*> by_id;
    for (const RosterChild& c : registered) by_id[c.child_id] = &c;
    std::vector<AccessRecord> access;
    auto log = [&](const std::string& child_id) {
      auto it = by_id.find(child_id);
      access.push_back(Access(*principal_, "child", child_id,
                              it == by_id.end() ? "" : it->second->village_code, "categories,guardians",
                              header_.purpose(), "CompareRoster"));
    };
    for (const std::string& id : answer_.missing_from_roster()) log(id);
    for (const auto& d : answer_.differences()) log(d.child_id());
    return access;
  }

  RosterService& service_;
  v1::CompareRosterResponse& answer_;
  std::optional<Principal> principal_;
  v1::RosterHeader header_;
  std::vector<RosterChild> roster_;
  google::protobuf::RepeatedPtrField<v1::RowRejection> rejections_;
};

grpc::ServerReadReactor<v1::CompareRosterRequest>* RosterService::CompareRoster(
    grpc::CallbackServerContext* ctx, v1::CompareRosterResponse* resp) {
  auto* call = new CompareCall(ctx, *this, resp);
  call->Begin();
  return call;
}

}  // namespace shouhu::registry
