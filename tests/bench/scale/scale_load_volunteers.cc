// The scale loader's the volunteers: trained and certified in training, then registered as visitors
// (scale_loader.h).
#include "tests/bench/scale/scale_loader.h"

namespace shouhu::bench {

// The courses a home visit needs, the NGO's qualification, and two sessions per county with volunteers.
bool Loader::TrainingSetup(std::map<std::string, std::pair<std::string, std::string>>& sessions,
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

bool Loader::Volunteers(Summary& s) {
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
      return log.Timed(method, [&] { return LoadCallAs(*stub, rpc, Token("officer"), request, response); })
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
    for (auto stage :
         {trn::VOLUNTEER_STAGE_INTERVIEWED, trn::VOLUNTEER_STAGE_IN_TRAINING, trn::VOLUNTEER_STAGE_ACTIVE}) {
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
                     return LoadCallAs(*visits, &vis::VisitsService::Stub::RegisterVisitor,
                                       Token("ngo_admin"), visitor, &as_visitor);
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

}  // namespace shouhu::bench
