// The scale mix (issue 14): on the data set tests/bench/scale/load made, the traffic of an active region
// through the gateway at each --concurrency (threads, one call in flight each), per method calls/s, p50/p99
// and errors; then the baselines and each of the issue's targets measured on its own and printed as "target:
// X, measured: Y, met/missed". The proportions and why: tests/bench/scale/mix (the script's header). sysbench
// runs in the script; its figures come in as --oltp_insert / --oltp_point_select. Any failed call is printed
// with its status code and fails the run (exit 1). --only runs one target alone instead, to profile it. Not
// part of ctest.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/principal.h"
#include "shouhu/allowance/v1/allowance_service.grpc.pb.h"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"
#include "shouhu/training/v1/training.grpc.pb.h"
#include "shouhu/visits/v1/visits_service.grpc.pb.h"
#include "tests/bench/scale/gateway_client.h"
#include "tests/bench/support/load_driver.h"

ABSL_FLAG(std::string, gateway, "127.0.0.1:50050", "the gateway");
ABSL_FLAG(std::string, registry, "127.0.0.1:50051", "the registry, for the direct baselines");
ABSL_FLAG(std::string, tokens, "", "name=token file (tests/bench/scale/stack mints it)");
ABSL_FLAG(std::string, signing_key, "", "the gateway's private key: the direct calls sign as the gateway");
ABSL_FLAG(std::string, dir, "", "the data set's folder (what scale_load wrote)");
ABSL_FLAG(std::string, concurrency, "1,16,64", "mix concurrencies");
ABSL_FLAG(double, seconds, 20, "length of each mix run");
ABSL_FLAG(double, baseline_seconds, 10, "length of each baseline and target run");
ABSL_FLAG(int, channels, 8, "HTTP/2 connections per target");
ABSL_FLAG(std::string, oltp_insert, "", "sysbench oltp_insert tps per concurrency, 1:x,16:y,64:z");
ABSL_FLAG(std::string, oltp_point_select, "", "sysbench oltp_point_select tps per concurrency");
ABSL_FLAG(std::string, pids, "", "service processes to watch, name:pid,…");
ABSL_FLAG(int, mariadb_pid, 0,
          "MariaDB's process: its CPU during each mix run is printed beside the services'");
ABSL_FLAG(double, plan_every, 10,
          "during each mix run, the largest county's coming weekend re-planned once every this many seconds "
          "(0: never)");
ABSL_FLAG(int, plan_per_mille, 0,
          "PlanWeekend as a share of the mix's calls instead, per mille, taken from GetChild's (10 before "
          "2026-12-06)");
ABSL_FLAG(std::string, only, "",
          "one target alone for --baseline_seconds, nothing else (to profile it): search, search-direct, "
          "child, child-direct, referral, division-direct, division (on the callback driver) or plan (on "
          "the mix's threads), each at its target's "
          "concurrency or @N");

namespace shouhu::bench {
namespace {

namespace reg = registry::v1;
namespace trn = training::v1;
namespace vis = visits::v1;
namespace alw = allowance::v1;

// The mix, per mille of calls (tests/bench/scale/mix says why). PlanWeekend is not a share of the calls but
// runs on a clock (--plan_every): a county re-plans its weekend a few times a week however busy its staff
// are, and one plan of the largest county costs the machine about a second of CPU.
enum Op {
  kGetChild,
  kGetCase,
  kSearch,
  kReferral,
  kReport,
  kChildVisits,
  kAssignments,
  kQualification,
  kAllowance,
  kStatistics,
  kPlan,
  kOps
};
constexpr int kPerMille[kOps] = {240, 140, 150, 80, 80, 60, 60, 120, 60, 10, 0};
const std::vector<std::string> kMethods = {"GetChild",
                                           "GetCase",
                                           "SearchChildren",
                                           "SubmitReferral",
                                           "SubmitVisitReports",
                                           "ListChildVisits",
                                           "ListVisitorAssignments",
                                           "CheckQualification",
                                           "SubmitApplication",
                                           "ApproveApplication",
                                           "PayApplication",
                                           "GetStatistics",
                                           "PlanWeekend",
                                           "GetDivision"};
int MethodIndex(const std::string& name) {
  return static_cast<int>(std::find(kMethods.begin(), kMethods.end(), name) - kMethods.begin());
}

// plan_per_mille > 0 gives PlanWeekend that share of the calls, from GetChild's: the mix before 2026-12-06.
Op OpOf(int64_t n, int plan_per_mille) {
  // A multiplicative hash spreads consecutive calls over the table.
  const int draw = static_cast<int>((static_cast<uint64_t>(n) * 11400714819323198485ull >> 40) % 1000);
  if (draw < plan_per_mille) return kPlan;
  int cumulative = plan_per_mille;
  for (int op = 0; op < kOps; ++op) {
    cumulative += op == kGetChild ? std::max(0, kPerMille[op] - plan_per_mille) : kPerMille[op];
    if (draw < cumulative) return static_cast<Op>(op);
  }
  return kGetChild;
}

std::map<int, double> PerConcurrency(const std::string& text) {
  std::map<int, double> values;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<std::string> kv = absl::StrSplit(item, ':');
    int c = 0;
    double v = 0;
    if (kv.size() == 2 && absl::SimpleAtoi(kv[0], &c) && absl::SimpleAtod(kv[1], &v)) values[c] = v;
  }
  return values;
}

// CPU time a process has used, user and system, seconds (/proc/<pid>/stat); 0 when gone.
double CpuSeconds(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name, in parentheses, may hold spaces: the fields are counted after its closing one.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return 0;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ', absl::SkipEmpty());
  int64_t user = 0, system = 0;  // fields 14 and 15 of the line: 12th and 13th after the name
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &user) || !absl::SimpleAtoi(fields[12], &system)) {
    return 0;
  }
  return static_cast<double>(user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Resident RSS of a process, MiB (VmRSS in /proc/<pid>/status); 0 when gone.
double RssMiB(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kb = 0;
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return static_cast<double>(kb) / 1024.0;
    }
  }
  return 0;
}

class Mix {
 public:
  Mix(std::map<std::string, std::string> tokens, std::string dir)
      : tokens_(std::move(tokens)),
        dir_(std::move(dir)),
        gateway_(Channels(absl::GetFlag(FLAGS_gateway), absl::GetFlag(FLAGS_channels))),
        direct_(Channels(absl::GetFlag(FLAGS_registry), absl::GetFlag(FLAGS_channels))),
        salt_(static_cast<uint32_t>(absl::ToUnixMicros(absl::Now()))) {
    for (const auto& channel : gateway_) gateway_stubs_.push_back(reg::RegistryService::NewStub(channel));
    for (const auto& channel : direct_) direct_stubs_.push_back(reg::RegistryService::NewStub(channel));
    for (const auto& r : ReadRecords(dir_ + "/children.tsv")) {
      if (r.size() >= 3) children_.push_back({r[0], r[1], r[2]});
    }
    for (const auto& r : ReadRecords(dir_ + "/volunteers.tsv")) {
      if (r.size() >= 2) volunteers_.push_back({r[0], r[1]});
    }
    for (const auto& r : ReadRecords(dir_ + "/programs.tsv")) {
      if (r.size() >= 2) programs_[r[0]] = r[1];
    }
    for (const auto& r : ReadRecords(dir_ + "/mix-assignments.tsv")) assignments_.push_back(r[0]);
    std::ifstream(dir_ + "/largest-county") >> largest_county_;
    for (const auto& c : children_) counties_[c.village.substr(0, 6)].push_back(c.village);
    for (auto& [code, villages] : counties_) county_codes_.push_back(code);
    absl::CivilDay saturday = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)) + 1;
    while (absl::GetWeekday(saturday) != absl::Weekday::saturday) ++saturday;
    next_weekend_ = absl::FormatCivilTime(saturday);
    today_ = absl::FormatCivilTime(absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)));
  }

  // The whole mix needs every kind of the load; a target alone (--only) only the children (a data set loaded
  // with SCALE_KINDS=children,cases serves the registry's targets).
  std::string Check(bool whole_mix) const {
    if (children_.empty()) return "children.tsv is empty: run load first";
    if (!whole_mix) return "";
    if (volunteers_.empty()) return "volunteers.tsv is empty: run load with volunteers";
    if (programs_.empty()) return "programs.tsv is empty: run load with payments";
    if (largest_county_.empty()) return "largest-county is missing";
    return "";
  }
  size_t children() const { return children_.size(); }
  // Before each run (not during one): its calls get ids and children of their own.
  void NextRun() { ++run_; }
  // Whether this call is the one to re-plan the weekend: the first call after StartPlans, then the first
  // after each `every` (0: never), on the clock whatever the concurrency.
  void StartPlans(absl::Duration every) {
    plan_every_ = every;
    next_plan_ = absl::ToUnixMicros(absl::Now());
  }
  bool PlanDue() {
    if (plan_every_ <= absl::ZeroDuration()) return false;
    const int64_t now = absl::ToUnixMicros(absl::Now());
    int64_t due = next_plan_.load();
    while (now >= due) {
      if (next_plan_.compare_exchange_weak(due, now + absl::ToInt64Microseconds(plan_every_))) return true;
    }
    return false;
  }
  size_t assignments() const { return assignments_.size(); }
  const std::string& largest_county() const { return largest_county_; }

  // One call of the mix (or of one method alone, `only`), through the gateway (or straight to the registry).
  void Call(int64_t n, Op op, CallLog& log, bool direct = false) {
    std::mt19937_64 random = RandomFor(n);
    auto channel = (direct ? direct_ : gateway_)[static_cast<size_t>(n) % gateway_.size()];
    switch (op) {
      case kGetChild: {
        auto stub = reg::RegistryService::NewStub(channel);
        reg::GetChildRequest request = ChildRead(random);
        reg::GetChildResponse response;
        log.Timed(MethodIndex("GetChild"), [&] {
          return Unary(*stub, &reg::RegistryService::Stub::GetChild, "officer", request, &response, direct);
        });
        return;
      }
      case kGetCase: {
        auto stub = reg::RegistryService::NewStub(channel);
        reg::GetCaseRequest request;
        request.set_purpose("case review");
        request.set_case_id(children_[random() % children_.size()].case_id);
        reg::GetCaseResponse response;
        log.Timed(MethodIndex("GetCase"), [&] {
          return Unary(*stub, &reg::RegistryService::Stub::GetCase, "officer", request, &response);
        });
        return;
      }
      case kSearch: {
        auto stub = reg::RegistryService::NewStub(channel);
        reg::SearchChildrenRequest request = CountySearch(random);
        reg::SearchChildrenResponse response;
        log.Timed(MethodIndex("SearchChildren"), [&] {
          return Unary(*stub, &reg::RegistryService::Stub::SearchChildren, "officer", request, &response);
        });
        return;
      }
      case kReferral: {
        auto stub = reg::RegistryService::NewStub(channel);
        reg::SubmitReferralRequest request = Referral(n, random);
        reg::SubmitReferralResponse response;
        log.Timed(MethodIndex("SubmitReferral"), [&] {
          return Unary(*stub, &reg::RegistryService::Stub::SubmitReferral, "caseworker", request, &response);
        });
        return;
      }
      case kReport: {
        const int64_t k = next_assignment_++;
        auto stub = vis::VisitsService::NewStub(channel);
        if (k >= static_cast<int64_t>(assignments_.size())) {  // all reported: read a child's visits instead
          Call(n, kChildVisits, log);
          return;
        }
        vis::SubmitVisitReportsRequest request;
        request.set_request_id(absl::StrFormat("mix-report-%08x-%d-%d", salt_, run_, n));
        vis::VisitReport* report = request.add_reports();
        std::mt19937_64 for_report(static_cast<uint64_t>(k) ^ (static_cast<uint64_t>(salt_) << 20));
        report->set_report_id(Uuid(for_report));
        report->set_assignment_id(assignments_[static_cast<size_t>(k)]);
        report->set_outcome(vis::VISIT_OUTCOME_COMPLETED);
        vis::SubmitVisitReportsResponse response;
        log.Timed(MethodIndex("SubmitVisitReports"), [&] {
          grpc::Status status =
              Unary(*stub, &vis::VisitsService::Stub::SubmitVisitReports, "ngo_admin", request, &response);
          if (status.ok() && (response.results_size() != 1 || response.results(0).code() != 0)) {
            return grpc::Status(
                static_cast<grpc::StatusCode>(response.results_size() ? response.results(0).code() : 13),
                response.results_size() ? response.results(0).field() + ": " + response.results(0).message()
                                        : "no result");
          }
          return status;
        });
        return;
      }
      case kChildVisits: {
        auto stub = vis::VisitsService::NewStub(channel);
        vis::ListChildVisitsRequest request;
        request.set_purpose("visit history review");
        request.set_child_id(children_[random() % children_.size()].child_id);
        request.set_page_size(20);
        vis::ListChildVisitsResponse response;
        log.Timed(MethodIndex("ListChildVisits"), [&] {
          return Unary(*stub, &vis::VisitsService::Stub::ListChildVisits, "officer", request, &response);
        });
        return;
      }
      case kAssignments: {
        auto stub = vis::VisitsService::NewStub(channel);
        vis::ListVisitorAssignmentsRequest request;
        request.set_visitor_id(volunteers_[random() % volunteers_.size()].second);
        request.set_weekend_date(next_weekend_);
        vis::ListVisitorAssignmentsResponse response;
        log.Timed(MethodIndex("ListVisitorAssignments"), [&] {
          return Unary(*stub, &vis::VisitsService::Stub::ListVisitorAssignments, "ngo_admin", request,
                       &response);
        });
        return;
      }
      case kQualification: {
        auto stub = trn::TrainingService::NewStub(channel);
        trn::CheckQualificationRequest request;
        request.set_participant_id(volunteers_[random() % volunteers_.size()].first);
        request.set_activity(trn::ACTIVITY_HOME_VISIT);
        request.set_date(today_);
        trn::CheckQualificationResponse response;
        log.Timed(MethodIndex("CheckQualification"), [&] {
          return Unary(*stub, &trn::TrainingService::Stub::CheckQualification, "ngo_admin", request,
                       &response);
        });
        return;
      }
      case kAllowance: {
        Allowance(n, random, channel, log);
        return;
      }
      case kStatistics: {
        auto stub = reg::RegistryService::NewStub(channel);
        reg::GetStatisticsRequest request;
        request.set_division_prefix("53");
        reg::GetStatisticsResponse response;
        log.Timed(MethodIndex("GetStatistics"), [&] {
          return Unary(*stub, &reg::RegistryService::Stub::GetStatistics, "officer", request, &response);
        });
        return;
      }
      case kPlan: {
        auto stub = vis::VisitsService::NewStub(channel);
        vis::PlanWeekendRequest request;
        request.set_request_id(absl::StrFormat("mix-plan-%08x-%d-%d", salt_, run_, n));
        request.set_division_prefix(largest_county_);
        request.set_weekend_date(next_weekend_);
        vis::PlanWeekendResponse response;
        log.Timed(MethodIndex("PlanWeekend"), [&] {
          return Unary(*stub, &vis::VisitsService::Stub::PlanWeekend, "officer", request, &response, false,
                       absl::Minutes(2));
        });
        return;
      }
      case kOps:
        return;
    }
  }

  void Division(int64_t n, CallLog& log, bool direct) {
    auto channel = (direct ? direct_ : gateway_)[static_cast<size_t>(n) % gateway_.size()];
    auto stub = reg::RegistryService::NewStub(channel);
    reg::GetDivisionRequest request = DivisionOf(n);
    reg::GetDivisionResponse response;
    log.Timed(MethodIndex("GetDivision"), [&] {
      return Unary(*stub, &reg::RegistryService::Stub::GetDivision, "officer", request, &response, direct);
    });
  }

  // The targets' calls on gRPC's callback API (RunCallbackLoad), for the runs of one method alone: a
  // blocked thread per call in flight costs the load program about twice a callback's CPU, and on two cores
  // that CPU is taken from what is measured (the threads' driver took a quarter of the machine's samples
  // and held its own GetDivision floor to a quarter of the registry bench's). The registry bench drives its
  // calls this way too. `done` is called once, on one of gRPC's threads.
  void Issue(int64_t n, Op op, bool direct, CallDone done) {
    std::mt19937_64 random = RandomFor(n);
    reg::RegistryService::Stub& stub = RegistryStub(n, direct);
    switch (op) {
      case kGetChild:
        Start<reg::GetChildResponse>(ChildRead(random), "officer", direct, std::move(done),
                                     [&stub](auto* context, auto* request, auto* response, auto finished) {
                                       stub.async()->GetChild(context, request, response,
                                                              std::move(finished));
                                     });
        return;
      case kSearch:
        Start<reg::SearchChildrenResponse>(
            CountySearch(random), "officer", direct, std::move(done),
            [&stub](auto* context, auto* request, auto* response, auto finished) {
              stub.async()->SearchChildren(context, request, response, std::move(finished));
            });
        return;
      case kReferral:
        Start<reg::SubmitReferralResponse>(
            Referral(n, random), "caseworker", direct, std::move(done),
            [&stub](auto* context, auto* request, auto* response, auto finished) {
              stub.async()->SubmitReferral(context, request, response, std::move(finished));
            });
        return;
      default:
        done(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "only the targets' calls are issued this way"));
    }
  }

  void IssueDivision(int64_t n, bool direct, CallDone done) {
    reg::RegistryService::Stub& stub = RegistryStub(n, direct);
    Start<reg::GetDivisionResponse>(DivisionOf(n), "officer", direct, std::move(done),
                                    [&stub](auto* context, auto* request, auto* response, auto finished) {
                                      stub.async()->GetDivision(context, request, response,
                                                                std::move(finished));
                                    });
  }

 private:
  struct Child {
    std::string child_id, case_id, village;
  };

  template <typename Stub, typename Request, typename Response>
  grpc::Status Unary(Stub& stub, grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                     const std::string& who, const Request& request, Response* response, bool direct = false,
                     absl::Duration deadline = absl::Seconds(30)) {
    if (!direct) return CallAs(stub, rpc, tokens_.at(who), request, response, deadline);
    grpc::ClientContext context;
    Prepare(context, who, direct, deadline);
    return (stub.*rpc)(&context, request, response);
  }

  // As the gateway sees a caller (bearer token, waiting for the connection) or, direct, as the registry
  // sees the gateway (the officer's principal signed with the gateway's key).
  void Prepare(grpc::ClientContext& context, const std::string& who, bool direct, absl::Duration deadline) {
    if (direct) {
      signer_->Attach(officer_, context);
    } else {
      context.AddMetadata("authorization", "Bearer " + tokens_.at(who));
      context.set_wait_for_ready(true);
    }
    context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  }

  template <typename Request, typename Response>
  struct AsyncCall {
    grpc::ClientContext context;
    Request request;
    Response response;
  };

  // Starts one call on the callback API: `call(context, request, response, finished)` issues it.
  template <typename Response, typename Request, typename IssueCall>
  void Start(Request request, const std::string& who, bool direct, CallDone done, IssueCall call) {
    auto* pending = new AsyncCall<Request, Response>();
    pending->request = std::move(request);
    Prepare(pending->context, who, direct, absl::Seconds(30));
    call(&pending->context, &pending->request, &pending->response,
         [pending, done = std::move(done)](grpc::Status status) {
           delete pending;
           done(status);
         });
  }

  // Call n's stub, on the channels of the gateway or (direct) of the registry, in turn.
  reg::RegistryService::Stub& RegistryStub(int64_t n, bool direct) {
    return *(direct ? direct_stubs_ : gateway_stubs_)[static_cast<size_t>(n) % gateway_stubs_.size()];
  }

  std::mt19937_64 RandomFor(int64_t n) const {
    return std::mt19937_64((static_cast<uint64_t>(n) * 6364136223846793005ull + salt_) ^ (run_ << 48));
  }

  reg::GetChildRequest ChildRead(std::mt19937_64& random) const {
    reg::GetChildRequest request;
    request.set_child_id(children_[random() % children_.size()].child_id);
    request.set_purpose("个案复核");  // case review
    return request;
  }

  reg::SearchChildrenRequest CountySearch(std::mt19937_64& random) const {
    reg::SearchChildrenRequest request;
    request.set_division_prefix(county_codes_[random() % county_codes_.size()]);
    // The filters a county's staff use most: a category, or the cases at high risk, or both.
    switch (random() % 3) {
      case 0:
        request.set_category(reg::CHILD_CATEGORY_LEFT_BEHIND);
        break;
      case 1:
        request.set_risk_level(reg::RISK_LEVEL_HIGH);
        break;
      default:
        request.set_category(reg::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED);
        request.set_case_status(reg::CASE_STATUS_ACTIVE);
    }
    request.set_page_size(50);
    request.set_purpose("县级筛查");  // county screening
    return request;
  }

  reg::GetDivisionRequest DivisionOf(int64_t n) const {
    reg::GetDivisionRequest request;
    request.set_code(county_codes_[static_cast<size_t>(n) % county_codes_.size()]);
    return request;
  }

  static std::string Uuid(std::mt19937_64& random) {
    const uint64_t hi = random(), lo = random();
    std::string hex = absl::StrFormat("%016x%016x", hi, lo);
    hex[12] = '4';
    hex[16] = "89ab"[lo % 4];
    return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                        hex.substr(16, 4), "-", hex.substr(20));
  }

  // A new child found by the NGO: a village of a county of the data set, half of them with a resident id.
  reg::SubmitReferralRequest Referral(int64_t n, std::mt19937_64& random) {
    static constexpr const char* kSurnames[] = {"李", "王", "张", "杨", "罗", "普",
                                                "毕", "起", "鲁", "陈", "刀", "岩"};
    static constexpr const char* kGiven[] = {"子涵", "欣怡", "浩然", "宇轩", "梓萱",
                                             "思琪", "佳诺", "明华", "文杰", "秀丽"};
    const auto& villages = counties_[county_codes_[random() % county_codes_.size()]];
    const std::string& village = villages[random() % villages.size()];
    const bool boy = random() % 2 == 0;
    const absl::CivilDay birth = absl::CivilDay(2011, 1, 1) + static_cast<int>(random() % 5000);
    const std::string surname = kSurnames[random() % 12];
    reg::SubmitReferralRequest r;
    r.set_request_id(absl::StrFormat("mix-referral-%08x-%d-%d", salt_, run_, n));
    r.set_source(reg::REFERRAL_SOURCE_NGO);
    r.mutable_child()->set_name(surname + kGiven[random() % 10]);
    r.mutable_child()->set_sex(boy ? reg::SEX_MALE : reg::SEX_FEMALE);
    r.mutable_child()->set_birth_date(
        absl::StrFormat("%04d-%02d-%02d", birth.year(), birth.month(), birth.day()));
    if (random() % 2 == 0) {
      static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
      std::string id =
          absl::StrFormat("%s%04d%02d%02d%03d", village.substr(0, 6), birth.year(), birth.month(),
                          birth.day(), static_cast<int>(500 + random() % 250) * 2 + (boy ? 1 : 0) - 500);
      int sum = 0;
      for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
      id += "10X98765432"[sum % 11];
      r.mutable_child()->set_resident_id(id);
    }
    r.mutable_household()->set_village_code(village);
    r.mutable_household()->set_address_detail(absl::StrCat(1 + random() % 12, "组", 1 + random() % 60, "号"));
    reg::Guardian* g = r.add_guardians();
    g->set_name(surname + "建华");
    g->set_relationship(reg::GUARDIAN_RELATIONSHIP_GRANDPARENT);
    g->set_status(reg::GUARDIAN_STATUS_PRESENT_AND_ABLE);
    r.add_categories(random() % 3 == 0 ? reg::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED
                                       : reg::CHILD_CATEGORY_LEFT_BEHIND);
    r.set_reason("父母均在外务工，祖母年迈，孩子近期辍学");
    r.set_observed_risk(static_cast<reg::RiskLevel>(1 + random() % 3));
    return r;
  }

  // An allowance end to end: the caseworker applies, the operator's admin approves and pays.
  void Allowance(int64_t n, std::mt19937_64& random, const std::shared_ptr<grpc::Channel>& channel,
                 CallLog& log) {
    auto stub = alw::AllowanceService::NewStub(channel);
    const Child* child = nullptr;
    std::string program;
    for (int tries = 0; tries < 20 && program.empty(); ++tries) {
      child = &children_[random() % children_.size()];
      auto it = programs_.find(child->village.substr(0, 6));
      if (it != programs_.end()) program = it->second;
    }
    if (program.empty()) return;
    alw::SubmitApplicationRequest submit;
    submit.set_request_id(absl::StrFormat("mix-app-%08x-%d-%d", salt_, run_, n));
    submit.set_program_id(program);
    submit.set_child_id(child->child_id);
    submit.set_type(alw::ALLOWANCE_TYPE_ONE_TIME_TRANSPORTATION);
    submit.set_amount_fen(10'000);
    submit.set_reason("返校交通补助");  // transport back to school
    alw::SubmitApplicationResponse submitted;
    if (!log.Timed(MethodIndex("SubmitApplication"),
                   [&] {
                     return Unary(*stub, &alw::AllowanceService::Stub::SubmitApplication, "caseworker",
                                  submit, &submitted);
                   })
             .ok())
      return;
    alw::ApproveApplicationRequest approve;
    approve.set_request_id(absl::StrFormat("mix-approve-%08x-%d-%d", salt_, run_, n));
    approve.set_application_id(submitted.application().application_id());
    alw::ApproveApplicationResponse approved;
    if (!log.Timed(MethodIndex("ApproveApplication"),
                   [&] {
                     return Unary(*stub, &alw::AllowanceService::Stub::ApproveApplication, "ngo_admin",
                                  approve, &approved);
                   })
             .ok())
      return;
    alw::PayApplicationRequest pay;
    pay.set_request_id(absl::StrFormat("mix-pay-%08x-%d-%d", salt_, run_, n));
    pay.set_application_id(submitted.application().application_id());
    pay.set_method(alw::PAYMENT_METHOD_BANK_TRANSFER);
    pay.set_payee_reference(absl::StrCat("guardian-account-mix-", n));
    alw::PayApplicationResponse paid;
    log.Timed(MethodIndex("PayApplication"), [&] {
      return Unary(*stub, &alw::AllowanceService::Stub::PayApplication, "ngo_admin", pay, &paid);
    });
  }

 public:
  void SetSigner(std::unique_ptr<PrincipalSigner> signer) {
    signer_ = std::move(signer);
    officer_.set_subject("scale-officer");
    officer_.set_organisation_id("yunnan-civil-affairs");
    officer_.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
    officer_.add_jurisdictions("53");
  }

 private:
  const std::map<std::string, std::string> tokens_;
  const std::string dir_;
  const std::vector<std::shared_ptr<grpc::Channel>> gateway_, direct_;
  std::vector<std::unique_ptr<reg::RegistryService::Stub>> gateway_stubs_, direct_stubs_;  // one per channel
  const uint32_t salt_;
  absl::Duration plan_every_;
  std::atomic<int64_t> next_plan_{0};  // unix micros
  std::vector<Child> children_;
  std::vector<std::pair<std::string, std::string>> volunteers_;  // participant id, visitor id
  std::map<std::string, std::string> programs_;                  // county → program id
  std::vector<std::string> assignments_;
  std::atomic<int64_t> next_assignment_{0};
  // Which run of the driver this is: request ids and generated children differ between runs.
  uint64_t run_ = 0;
  std::map<std::string, std::vector<std::string>> counties_;  // county → villages of the data set's children
  std::vector<std::string> county_codes_;
  std::string largest_county_, next_weekend_, today_;
  std::unique_ptr<PrincipalSigner> signer_;
  Principal officer_;
};

// A target's call alone (--only=NAME[@CONCURRENCY]), to be profiled from outside: its figures, and exit 1
// on any failed call.
int RunOnly(Mix& mix, const std::string& only) {
  struct Choice {
    const char* method;
    int concurrency;       // the target's own, unless @N says otherwise
    std::optional<Op> op;  // none: the floor, GetDivision
    bool direct;
  };
  const std::map<std::string, Choice> choices = {
      {"search", {"SearchChildren", 16, kSearch, false}},
      {"search-direct", {"SearchChildren", 16, kSearch, true}},
      {"child", {"GetChild", 16, kGetChild, false}},
      {"child-direct", {"GetChild", 64, kGetChild, true}},
      {"referral", {"SubmitReferral", 64, kReferral, false}},
      {"division-direct", {"GetDivision", 64, std::nullopt, true}},
      // The floor through the gateway at the child read's concurrency: what no read can beat on this machine.
      {"division", {"GetDivision", 16, std::nullopt, false}},
      // The largest county's coming weekend re-planned, one call after another (on the mix's threads).
      {"plan", {"PlanWeekend", 1, kPlan, false}}};
  const std::vector<std::string> parts = absl::StrSplit(only, '@');
  const auto found = choices.find(parts[0]);
  int concurrency = found == choices.end() ? 0 : found->second.concurrency;
  if (found == choices.end() || parts.size() > 2 ||
      (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &concurrency)) || concurrency < 1) {
    std::fprintf(
        stderr,
        "--only: no target %s (search, search-direct, child, child-direct, referral, division-direct, "
        "division, plan; @N for N in flight)\n",
        only.c_str());
    return 2;
  }
  const Choice choice = found->second;
  mix.NextRun();
  LoadOptions options;
  options.concurrency = concurrency;
  options.length = absl::Seconds(absl::GetFlag(FLAGS_baseline_seconds));
  const bool callbacks = choice.op != kPlan;  // Mix::Issue has the registry's calls only
  LoadFigures f = callbacks ? RunCallbackLoad(options, choice.method,
                                              [&](int, int64_t n, CallDone done) {
                                                if (choice.op) {
                                                  mix.Issue(n, *choice.op, choice.direct, std::move(done));
                                                } else {
                                                  mix.IssueDivision(n, choice.direct, std::move(done));
                                                }
                                              })
                            : RunLoad(options, kMethods, [&](int, int64_t n, CallLog& log) {
                                mix.Call(n, *choice.op, log, choice.direct);
                              });
  const MethodFigures* m = f.Find(choice.method);
  std::printf("-- %s%s alone @%d (%s): %.0f calls/s, %lld errors, p95 %.2f ms\n%s", choice.method,
              choice.direct ? " direct" : " through the gateway", concurrency,
              callbacks ? "callback driver" : "threads' driver", static_cast<double>(f.Calls()) / f.seconds,
              static_cast<long long>(f.Errors()), m != nullptr ? m->p95_ms : 0, FiguresTable(f).c_str());
  return f.Errors() > 0 ? 1 : 0;
}

struct Target {
  std::string line;
  bool met;
};

int Run() {
  const std::string dir = absl::GetFlag(FLAGS_dir);
  auto key = ReadSigningKey(absl::GetFlag(FLAGS_signing_key));
  if (!key.ok()) {
    std::fprintf(stderr, "--signing_key: %s\n", std::string(key.status().message()).c_str());
    return 2;
  }
  SystemClock clock;
  Mix mix(ReadTokens(absl::GetFlag(FLAGS_tokens)), dir);
  mix.SetSigner(std::make_unique<PrincipalSigner>(*std::move(key), clock));
  const std::string only = absl::GetFlag(FLAGS_only);
  if (const std::string problem = mix.Check(only.empty()); !problem.empty()) {
    std::fprintf(stderr, "%s (in %s)\n", problem.c_str(), dir.c_str());
    return 2;
  }
  std::printf("== data set: %zu children, %zu assignments kept for reports, largest county %s\n",
              mix.children(), mix.assignments(), mix.largest_county().c_str());
  const std::map<int, double> insert = PerConcurrency(absl::GetFlag(FLAGS_oltp_insert));
  const std::map<int, double> point = PerConcurrency(absl::GetFlag(FLAGS_oltp_point_select));
  std::vector<std::pair<std::string, int>> pids;
  for (absl::string_view item : absl::StrSplit(absl::GetFlag(FLAGS_pids), ',', absl::SkipEmpty())) {
    std::vector<std::string> kv = absl::StrSplit(item, ':');
    int pid = 0;
    if (kv.size() == 2 && absl::SimpleAtoi(kv[1], &pid)) pids.emplace_back(kv[0], pid);
  }
  if (!only.empty()) return RunOnly(mix, only);
  int64_t errors = 0;
  // A run's options (a new run of the driver: its calls get ids of their own), and its figures printed.
  auto start = [&](int concurrency, double seconds) {
    mix.NextRun();
    LoadOptions options;
    options.concurrency = concurrency;
    options.length = absl::Seconds(seconds);
    return options;
  };
  auto report = [&](const std::string& title, LoadFigures f) {
    std::printf("-- %s @%d: %.0f calls/s in all, %lld errors\n%s", title.c_str(), f.concurrency,
                static_cast<double>(f.Calls()) / f.seconds, static_cast<long long>(f.Errors()),
                FiguresTable(f).c_str());
    std::fflush(stdout);
    errors += f.Errors();
    return f;
  };
  auto run = [&](const std::string& title, int concurrency, double seconds,
                 const std::function<void(int64_t, CallLog&)>& call) {
    return report(title, RunLoad(start(concurrency, seconds), kMethods,
                                 [&](int, int64_t n, CallLog& log) { call(n, log); }));
  };
  // One method alone on the callback API (Mix::Issue says why).
  auto run_callbacks = [&](const std::string& title, const std::string& method, int concurrency,
                           double seconds, const std::function<void(int64_t, CallDone)>& issue) {
    return report(title + " (callback driver)",
                  RunCallbackLoad(start(concurrency, seconds), method,
                                  [&](int, int64_t n, CallDone done) { issue(n, std::move(done)); }));
  };

  // The mix, with the services' resident memory sampled every second while it runs (the largest seen).
  std::map<std::string, double> rss;
  std::map<int, LoadFigures> mixes;
  std::vector<std::pair<std::string, int>> watched = pids;  // for each run's CPU, MariaDB's included
  if (absl::GetFlag(FLAGS_mariadb_pid) > 0) watched.emplace_back("mariadb", absl::GetFlag(FLAGS_mariadb_pid));
  for (absl::string_view c : absl::StrSplit(absl::GetFlag(FLAGS_concurrency), ',', absl::SkipEmpty())) {
    int concurrency = 1;
    if (!absl::SimpleAtoi(c, &concurrency)) continue;
    absl::Notification done;
    std::thread sampler([&] {
      do {
        for (const auto& [name, pid] : pids) rss[name] = std::max(rss[name], RssMiB(pid));
      } while (!done.WaitForNotificationWithTimeout(absl::Seconds(1)));
    });
    std::map<std::string, double> cpu_before;
    for (const auto& [name, pid] : watched) cpu_before[name] = CpuSeconds(pid);
    mix.StartPlans(absl::Seconds(absl::GetFlag(FLAGS_plan_every)));
    const int plan_per_mille = absl::GetFlag(FLAGS_plan_per_mille);
    mixes[concurrency] = run(
        "mix through the gateway", concurrency, absl::GetFlag(FLAGS_seconds),
        [&](int64_t n, CallLog& log) { mix.Call(n, mix.PlanDue() ? kPlan : OpOf(n, plan_per_mille), log); });
    done.Notify();
    sampler.join();
    // Where the machine went during the run: each process's CPU, as a share of all the cores' time.
    const double machine =
        mixes[concurrency].seconds * static_cast<double>(std::thread::hardware_concurrency());
    std::string cpu;
    for (const auto& [name, pid] : watched) {
      const double used = CpuSeconds(pid) - cpu_before[name];
      absl::StrAppendFormat(&cpu, "%s %s %.1f s (%.0f%%)", cpu.empty() ? "" : ",", name, used,
                            machine > 0 ? 100 * used / machine : 0);
    }
    if (!cpu.empty()) std::printf("   CPU during the run, of %.0f core-seconds:%s\n", machine, cpu.c_str());
  }

  const double base = absl::GetFlag(FLAGS_baseline_seconds);
  std::map<int, double> division_direct, division_gateway;
  for (int c : {1, 16, 64}) {
    auto d = run("baseline GetDivision direct (no SQL)", c, base,
                 [&](int64_t n, CallLog& log) { mix.Division(n, log, true); });
    division_direct[c] = d.Rate(*d.Find("GetDivision"));
    auto g = run("baseline GetDivision through the gateway", c, base,
                 [&](int64_t n, CallLog& log) { mix.Division(n, log, false); });
    division_gateway[c] = g.Rate(*g.Find("GetDivision"));
  }
  // Each target alone, first with the mix's threads (one blocked per call in flight, as in the figures
  // before 2026-12-03), then on the callback API, whose figures the verdicts use.
  auto threads_search16 =
      run("county search alone", 16, base, [&](int64_t n, CallLog& log) { mix.Call(n, kSearch, log); });
  auto threads_child16 = run("child read through the gateway alone", 16, base,
                             [&](int64_t n, CallLog& log) { mix.Call(n, kGetChild, log); });
  auto threads_child64 =
      run("GetChild direct", 64, base, [&](int64_t n, CallLog& log) { mix.Call(n, kGetChild, log, true); });
  auto threads_referral64 = run("SubmitReferral through the gateway alone", 64, base,
                                [&](int64_t n, CallLog& log) { mix.Call(n, kReferral, log); });
  auto callback_division64 =
      run_callbacks("baseline GetDivision direct (no SQL)", "GetDivision", 64, base,
                    [&](int64_t n, CallDone done) { mix.IssueDivision(n, true, std::move(done)); });
  auto search16 =
      run_callbacks("county search alone", "SearchChildren", 16, base,
                    [&](int64_t n, CallDone done) { mix.Issue(n, kSearch, false, std::move(done)); });
  auto child16 =
      run_callbacks("child read through the gateway alone", "GetChild", 16, base,
                    [&](int64_t n, CallDone done) { mix.Issue(n, kGetChild, false, std::move(done)); });
  auto child64 = run_callbacks("GetChild direct", "GetChild", 64, base, [&](int64_t n, CallDone done) {
    mix.Issue(n, kGetChild, true, std::move(done));
  });
  auto referral64 =
      run_callbacks("SubmitReferral through the gateway alone", "SubmitReferral", 64, base,
                    [&](int64_t n, CallDone done) { mix.Issue(n, kReferral, false, std::move(done)); });
  mix.NextRun();
  LoadOptions one;
  one.requests = 7;
  LoadFigures stats =
      RunLoad(one, kMethods, [&](int, int64_t n, CallLog& log) { mix.Call(n, kStatistics, log); });
  std::printf("-- province statistics, 7 calls one after another\n%s", FiguresTable(stats).c_str());
  errors += stats.Errors();

  std::printf("\n== baselines (calls/s)\n");
  for (int c : {1, 16, 64}) {
    std::printf(
        "   @%-2d GetDivision direct %8.0f, through the gateway %8.0f; sysbench oltp_insert %8.0f, "
        "oltp_point_select %8.0f\n",
        c, division_direct[c], division_gateway[c], insert.count(c) ? insert.at(c) : 0,
        point.count(c) ? point.at(c) : 0);
  }
  std::vector<Target> targets;
  auto add = [&](const std::string& what, const std::string& target, const std::string& measured, bool met) {
    targets.push_back({absl::StrFormat("%-58s target: %s, measured: %s, %s", what, target, measured,
                                       met ? "met" : "missed"),
                       met});
  };
  // The verdicts read the callback driver's runs; the threads' figure of the same target is printed beside.
  const MethodFigures* search = search16.Find("SearchChildren");
  add("county search (filtered, paged) p99 @16", "< 20 ms",
      absl::StrFormat("%.1f ms (threads' driver %.1f ms)", search->p99_ms,
                      threads_search16.Find("SearchChildren")->p99_ms),
      search->calls > 0 && search->p99_ms < 20);
  const MethodFigures* child = child16.Find("GetChild");
  add("child read via the gateway p99 @16", "< 5 ms",
      absl::StrFormat("%.1f ms (threads' driver %.1f ms)", child->p99_ms,
                      threads_child16.Find("GetChild")->p99_ms),
      child->calls > 0 && child->p99_ms < 5);
  const double child_rate = child64.Rate(*child64.Find("GetChild"));
  const double division64 = callback_division64.Rate(*callback_division64.Find("GetDivision"));
  const double child_ratio = division64 > 0 ? child_rate / division64 : 0;
  const double threads_child_rate = threads_child64.Rate(*threads_child64.Find("GetChild"));
  add("GetChild @64 direct vs GetDivision @64 direct", ">= 50%",
      absl::StrFormat("%.0f%% (%.0f/s vs %.0f/s; threads' driver %.0f%%, %.0f/s vs %.0f/s)",
                      100 * child_ratio, child_rate, division64,
                      division_direct[64] > 0 ? 100 * threads_child_rate / division_direct[64] : 0,
                      threads_child_rate, division_direct[64]),
      child_ratio >= 0.5);
  const double referral_rate = referral64.Rate(*referral64.Find("SubmitReferral"));
  const double threads_referral_rate = threads_referral64.Rate(*threads_referral64.Find("SubmitReferral"));
  const double insert64 = insert.count(64) ? insert.at(64) : 0;
  const double referral_ratio = insert64 > 0 ? referral_rate / insert64 : 0;
  add("SubmitReferral via the gateway @64 vs oltp_insert @64", ">= 30%",
      absl::StrFormat("%.0f%% (%.0f/s vs %.0f/s; threads' driver %.0f%%)", 100 * referral_ratio,
                      referral_rate, insert64, insert64 > 0 ? 100 * threads_referral_rate / insert64 : 0),
      referral_ratio >= 0.3);
  const MethodFigures* statistics = stats.Find("GetStatistics");
  add("province statistics (counts by county, category, status, risk)", "< 300 ms",
      absl::StrFormat("p50 %.0f ms (slowest %.0f ms)", statistics->p50_ms, statistics->p99_ms),
      statistics->calls > 0 && statistics->p50_ms < 300);
  for (const auto& [name, mib] : rss) {
    add(absl::StrCat("RSS of ", name, " at steady load (largest during the mix)"), "< 200 MiB",
        absl::StrFormat("%.0f MiB", mib), mib > 0 && mib < 200);
  }
  std::printf("\n== targets (issue 14)\n");
  for (const Target& t : targets) std::printf("   %s\n", t.line.c_str());
  if (errors > 0) {
    std::printf("!!! %lld calls FAILED (codes above): the figures are not valid\n",
                static_cast<long long>(errors));
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace shouhu::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return shouhu::bench::Run();
}
