// The scale data set's loader (issue 14), its parts shared by the files that load each kind
// (scale_load_<kind>.cc) and scale_load.cc, which runs them; what each kind loads is said in scale_load.cc.
#ifndef SHOUHU_TESTS_BENCH_SCALE_SCALE_LOADER_H_
#define SHOUHU_TESTS_BENCH_SCALE_SCALE_LOADER_H_

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "deploy/admin/progress_bar.h"
#include "google/protobuf/util/time_util.h"
#include "shouhu/allowance/v1/allowance_service.grpc.pb.h"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"
#include "shouhu/registry/v1/roster_service.grpc.pb.h"
#include "shouhu/training/v1/training.grpc.pb.h"
#include "shouhu/visits/v1/visits_service.grpc.pb.h"
#include "tests/bench/scale/gateway_client.h"
#include "tests/bench/scale/region.h"
#include "tests/bench/scale/visits_clock.h"
#include "tests/bench/support/load_driver.h"

ABSL_DECLARE_FLAG(std::string, gateway);
ABSL_DECLARE_FLAG(std::string, tokens);
ABSL_DECLARE_FLAG(std::string, dir);
ABSL_DECLARE_FLAG(std::string, divisions_dir);
ABSL_DECLARE_FLAG(double, scale);
ABSL_DECLARE_FLAG(std::string, kinds);
ABSL_DECLARE_FLAG(int, streams);
ABSL_DECLARE_FLAG(int, concurrency);
ABSL_DECLARE_FLAG(int, channels);
ABSL_DECLARE_FLAG(double, visit_minutes);
ABSL_DECLARE_FLAG(int, max_weekends);
ABSL_DECLARE_FLAG(int, mix_assignments);

namespace shouhu::bench {

namespace reg = registry::v1;
namespace trn = training::v1;
namespace vis = visits::v1;
namespace alw = allowance::v1;

inline constexpr int64_t kFullChildren = 1'000'000;
inline constexpr int64_t kFullVisits = 5'000'000;
inline constexpr int64_t kFullPayments = 300'000;
inline constexpr int64_t kFullVolunteers = 20'000;
inline constexpr int kRosterChunkRows = 1000;
inline constexpr int kChunksPerCall = 10;  // 10,000 rows a call: well inside the deadline
inline constexpr char kNgo[] = "ngo-yunnan-care";
inline constexpr char kBureau[] = "yunnan-civil-affairs";

// The kinds and counties that finished, one "kind<TAB>key" a line, appended as they finish.
class ProgressFile {
 public:
  explicit ProgressFile(std::string path) : path_(std::move(path)) {
    for (const auto& record : ReadRecords(path_)) {
      if (record.size() >= 2) done_[record[0] + "\t" + record[1]] = record.size() > 2 ? record[2] : "";
    }
  }
  bool Done(const std::string& kind, const std::string& key) const {
    std::lock_guard<std::mutex> lock(mu_);
    return done_.count(kind + "\t" + key) > 0;
  }
  std::string Value(const std::string& kind, const std::string& key) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = done_.find(kind + "\t" + key);
    return it == done_.end() ? "" : it->second;
  }
  void Mark(const std::string& kind, const std::string& key, const std::string& value = "") {
    std::lock_guard<std::mutex> lock(mu_);
    done_[kind + "\t" + key] = value;
    std::ofstream(path_, std::ios::app) << kind << '\t' << key << '\t' << value << '\n';
  }

 private:
  const std::string path_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> done_;
};

struct Summary {
  std::string kind;
  int64_t count = 0;
  double seconds = 0;
  std::string note;
};

// A child of the data set as the mix and the later kinds need it.
struct ChildRecord {
  std::string child_id, case_id, village, category, risk;
};

class Loader {
 public:
  Loader(std::map<std::string, std::string> tokens, std::vector<County> counties)
      : tokens_(std::move(tokens)),
        counties_(std::move(counties)),
        dir_(absl::GetFlag(FLAGS_dir)),
        progress_(dir_ + "/progress"),
        channels_(Channels(absl::GetFlag(FLAGS_gateway), std::max(1, absl::GetFlag(FLAGS_channels)))) {}

  // Loads `kinds` in order, printing each one's figures; false at the first that failed.
  bool Run(const std::vector<std::string>& kinds);

 private:
  const std::string& Token(const std::string& who) const { return tokens_.at(who); }
  std::shared_ptr<grpc::Channel> ChannelFor(int64_t n) const {
    return channels_[static_cast<size_t>(n) % channels_.size()];
  }
  int64_t Scaled(int64_t full) const {
    return std::max<int64_t>(1, std::llround(static_cast<double>(full) * absl::GetFlag(FLAGS_scale)));
  }
  // Prints a kind's figures per method and whether any call failed.
  bool Report(const LoadFigures& figures) {
    std::fputs(FiguresTable(figures).c_str(), stdout);
    return figures.Errors() == 0;
  }

  // The county of the n-th of `total` things spread over the counties in proportion to their children.
  const County& CountyOf(int64_t n, int64_t total) const {
    int64_t children = 0;
    for (const County& c : counties_) children += c.children;
    const int64_t at = static_cast<int64_t>((static_cast<double>(n) + 0.5) / static_cast<double>(total) *
                                            static_cast<double>(children));
    int64_t cumulative = 0;
    for (const County& c : counties_) {
      cumulative += c.children;
      if (at < cumulative) return c;
    }
    return counties_.back();
  }

  template <typename Request, typename Response>
  grpc::Status Training(grpc::Status (trn::TrainingService::Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                                        Response*),
                        const Request& request, Response* response, int64_t n = 0) {
    auto stub = trn::TrainingService::NewStub(ChannelFor(n));
    return CallAs(*stub, rpc, Token("officer"), request, response);
  }

  static bool Check(const char* what, const grpc::Status& status) {
    if (status.ok()) return true;
    std::fprintf(stderr, "!!! %s failed: code %d: %s\n", what, static_cast<int>(status.error_code()),
                 status.error_message().c_str());
    return false;
  }

  // children: scale_load_children.cc
  // One county's roster, sent as calls of kChunksPerCall chunks under the county's import id.
  bool ImportCounty(const County& county, std::atomic<int64_t>& sent, reg::ImportRosterResponse& total);
  bool Children(Summary& s);

  // cases: scale_load_cases.cc
  bool Cases(Summary& s);

  // volunteers: scale_load_volunteers.cc
  // The courses a home visit needs, the NGO's qualification, and two sessions per county with volunteers.
  bool TrainingSetup(std::map<std::string, std::pair<std::string, std::string>>& sessions,
                     const std::set<std::string>& counties);
  bool Volunteers(Summary& s);

  // visits: scale_load_visits.cc
  // A UUID (version 4 form) made from the assignment id, so a re-sent report is the same report.
  static std::string ReportId(const std::string& assignment_id);
  static vis::VisitReport ReportFor(const std::string& assignment_id);
  // The weekend's assignments per county (assignment id, child id), planned now or read back from the file
  // an earlier run wrote when it planned them; `last_visit_day` is the latest day any of them falls on.
  bool PlanWeekend(const std::string& weekend, std::vector<std::pair<std::string, std::string>>& assignments,
                   const std::vector<std::string>& counties, LoadFigures& figures,
                   std::map<int, int64_t>& unplaced, absl::CivilDay& last_visit_day);
  // The visits service plans from the registry's case events, which it follows on its own: a weekend planned
  // before it has folded in the cases (and their risk levels) places nothing. Waits until a sample of the
  // data set's children, spread over it, have a plan at their graded risk level; prints how long that took.
  bool AwaitVisitPlans();
  bool Visits(Summary& s);

  // payments: scale_load_payments.cc
  // A funded program per county: proposed by the NGO, assessed and funded by the bureau.
  bool Program(const County& county, int64_t payments, std::string& program_id);
  bool Payments(Summary& s);

  const std::map<std::string, std::string> tokens_;
  const std::vector<County> counties_;
  const std::string dir_;
  ProgressFile progress_;
  const std::vector<std::shared_ptr<grpc::Channel>> channels_;
  const int64_t run_id_ = absl::ToUnixSeconds(absl::Now());
  std::mutex mu_;
};

}  // namespace shouhu::bench

#endif  // SHOUHU_TESTS_BENCH_SCALE_SCALE_LOADER_H_
