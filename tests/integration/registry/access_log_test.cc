// The PII access log as one row per read (migration 0044): a search's page logs exactly its children, every
// reader of the log (ListAccessLog by record, by subject, by division, paged) still sees one entry per record
// read, nothing is lost under concurrent reads, the rows of the old log survive the migration, and a reader
// still being answered does not hold up the next read's log.
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/migrations.h"
#include "common/pii_crypto.h"
#include "services/registry/access_log_writer.h"
#include "services/registry/registry_store.h"
#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;

constexpr char kWudingTownship2Village[] = "532329102201";

v1::SearchChildrenRequest Search(int page_size, const std::string& purpose = "county review") {
  v1::SearchChildrenRequest r;
  r.set_purpose(purpose);
  r.set_page_size(page_size);
  return r;
}

v1::GetChildRequest Get(const std::string& child_id) {
  v1::GetChildRequest r;
  r.set_child_id(child_id);
  r.set_purpose("home visit preparation");
  return r;
}

class AccessLogTest : public RegistryTest {
 protected:
  // Five children in Wuding (three in one township, two in another) and one in Xixia; ids in id order.
  void SetUp() override {
    RegistryTest::SetUp();
    if (HasFatalFailure()) return;
    for (int i = 0; i < 5; ++i) {
      wuding_.push_back(RegisterChild(std::to_string(i), "儿童" + std::to_string(i),
                                      i < 3 ? kWudingVillage : kWudingTownship2Village)
                            .child_id());
    }
    std::sort(wuding_.begin(), wuding_.end());
    xixia_ = RegisterChild("x", "宁夏儿童", kXixiaVillage).child_id();
  }

  // Every entry ListAccessLog gives `request`, page by page with `page_size`.
  std::vector<v1::AccessLogEntry> AllEntries(v1::ListAccessLogRequest request, int page_size,
                                             const Principal& as) {
    std::vector<v1::AccessLogEntry> entries;
    request.set_page_size(page_size);
    for (int page = 0; page < 1000; ++page) {
      auto answer = Call(&v1::RegistryService::Stub::ListAccessLog, as, request);
      EXPECT_OK(answer);
      if (!answer.ok()) break;
      EXPECT_LE(answer->entries_size(), page_size);
      for (const auto& e : answer->entries()) entries.push_back(e);
      if (answer->next_page_token().empty()) break;
      request.set_page_token(answer->next_page_token());
    }
    return entries;
  }

  static std::vector<std::string> RecordIds(const std::vector<v1::AccessLogEntry>& entries,
                                            const std::string& method = "") {
    std::vector<std::string> ids;
    for (const auto& e : entries) {
      if (method.empty() || e.method() == method) ids.push_back(e.record_id());
    }
    return ids;
  }

  std::vector<std::string> wuding_;
  std::string xixia_;
};

TEST_F(AccessLogTest, SearchChildren_APage_LogsOneReadNamingExactlyItsChildren) {
  ASSERT_OK_AND_ASSIGN(auto page,
                       Call(&v1::RegistryService::Stub::SearchChildren, wuding_officer_, Search(4)));
  ASSERT_EQ(page.children_size(), 4);
  std::vector<std::string> shown;
  for (const auto& c : page.children()) shown.push_back(c.child_id());

  EXPECT_EQ(Count("pii_access_reads WHERE method = 'SearchChildren'"), 1);
  EXPECT_EQ(Count(kAccessLogEntries + " WHERE method = 'SearchChildren'"), 4);

  v1::ListAccessLogRequest by_subject;
  by_subject.set_subject("officer-wuding");
  auto entries = AllEntries(by_subject, 100, auditor_);
  EXPECT_EQ(RecordIds(entries, "SearchChildren"), shown);  // the page's children, in the page's order
  std::set<std::string> entry_ids;
  for (const auto& e : entries) {
    if (e.method() != "SearchChildren") continue;
    entry_ids.insert(e.entry_id());
    EXPECT_EQ(e.purpose(), "county review");
    EXPECT_EQ(e.fields(), "name,sex,birth_date,village");
    EXPECT_EQ(e.organisation_id(), "wuding-civil-affairs");
    EXPECT_EQ(e.record_type(), "child");
    EXPECT_EQ(e.consent_id(), "");
  }
  EXPECT_EQ(entry_ids.size(), 4u);  // each record read is its own entry

  // "Who read this child": each child on the page has the search's entry, the one left off has none.
  for (const std::string& child : wuding_) {
    v1::ListAccessLogRequest by_record;
    by_record.set_record_id(child);
    const bool on_page = std::find(shown.begin(), shown.end(), child) != shown.end();
    EXPECT_EQ(RecordIds(AllEntries(by_record, 10, auditor_), "SearchChildren").size(), on_page ? 1u : 0u)
        << child;
  }
}

TEST_F(AccessLogTest, ListAccessLog_ByDivision_ShowsOnlyTheRecordsInIt_EvenFromACountyWideRead) {
  ASSERT_OK(Call(&v1::RegistryService::Stub::SearchChildren, wuding_officer_, Search(10)));
  ASSERT_OK(Call(&v1::RegistryService::Stub::GetChild, xixia_officer_, Get(xixia_)));

  auto in = [&](const std::string& prefix, const Principal& as) {
    v1::ListAccessLogRequest r;
    r.set_division_prefix(prefix);
    return RecordIds(AllEntries(r, 3, as));
  };
  EXPECT_EQ(in("532329101", auditor_), std::vector<std::string>(wuding_.begin(), wuding_.begin() + 3));
  EXPECT_EQ(in("532329102", auditor_), std::vector<std::string>(wuding_.begin() + 3, wuding_.end()));
  EXPECT_EQ(in(kWudingTownship2Village, auditor_),
            std::vector<std::string>(wuding_.begin() + 3, wuding_.end()));
  EXPECT_EQ(in("532329", auditor_), wuding_);
  EXPECT_EQ(in("53", auditor_), wuding_);  // the auditor's own jurisdiction, which Xixia is not in
  const Principal ningxia_auditor =
      shouhu::testing::MakePrincipal("auditor-nx", "nx-audit", common::v1::ROLE_AUDITOR, {"64"});
  EXPECT_EQ(in("64", ningxia_auditor), std::vector<std::string>{xixia_});
  EXPECT_THAT(Call(&v1::RegistryService::Stub::ListAccessLog, ningxia_auditor,
                   [] {
                     v1::ListAccessLogRequest r;
                     r.set_division_prefix("532329");
                     return r;
                   }()),
              ::shouhu::testing::StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AccessLogTest, ListAccessLog_SmallPagesAcrossReadsOfManyRecords_EveryEntryOnceInOrder) {
  ASSERT_OK(Call(&v1::RegistryService::Stub::SearchChildren, wuding_officer_, Search(5, "first")));
  ASSERT_OK(Call(&v1::RegistryService::Stub::GetChild, wuding_officer_, Get(wuding_[0])));
  ASSERT_OK(Call(&v1::RegistryService::Stub::GetChild, wuding_officer_, Get(wuding_[0])));
  ASSERT_OK(Call(&v1::RegistryService::Stub::SearchChildren, wuding_officer_, Search(3, "second")));
  std::vector<std::string> expected = wuding_;
  expected.insert(expected.end(), {wuding_[0], wuding_[0]});
  expected.insert(expected.end(), wuding_.begin(), wuding_.begin() + 3);

  for (int page_size : {1, 2, 3, 4, 100}) {
    v1::ListAccessLogRequest by_subject;
    by_subject.set_subject("officer-wuding");
    auto entries = AllEntries(by_subject, page_size, auditor_);
    EXPECT_EQ(RecordIds(entries), expected) << "pages of " << page_size;
    std::vector<std::string> ids;
    for (const auto& e : entries) ids.push_back(e.entry_id());
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end())) << page_size;
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << page_size;

    v1::ListAccessLogRequest by_record;
    by_record.set_record_id(wuding_[0]);
    auto of_child = AllEntries(by_record, page_size, auditor_);
    ASSERT_EQ(of_child.size(), 4u) << page_size;
    EXPECT_EQ(of_child[0].purpose(), "first");
    EXPECT_EQ(of_child[1].method(), "GetChild");
    EXPECT_EQ(of_child[2].method(), "GetChild");
    EXPECT_EQ(of_child[3].purpose(), "second");
    // An entry read through the record is the same entry as through the subject.
    EXPECT_EQ(of_child[0].entry_id(), entries[0].entry_id());
  }
}

TEST_F(AccessLogTest, ManyReadsAtOnce_EveryRecordShownIsLogged_NothingLostNothingExtra) {
  constexpr int kReaders = 16;
  constexpr int kRounds = 6;
  std::vector<int> shown(kReaders, 0);
  std::vector<absl::Status> failures(kReaders);
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&, i] {
      for (int round = 0; round < kRounds; ++round) {
        auto page = Call(&v1::RegistryService::Stub::SearchChildren, wuding_officer_,
                         Search(1 + (i + round) % 5, absl::StrCat("reader ", i)));
        if (!page.ok()) {
          failures[i] = page.status();
          return;
        }
        shown[i] += page->children_size();
        auto one = Call(&v1::RegistryService::Stub::GetChild, wuding_officer_, Get(wuding_[(i + round) % 5]));
        if (!one.ok()) {
          failures[i] = one.status();
          return;
        }
        shown[i] += 1;
      }
    });
  }
  for (auto& r : readers) r.join();
  int total = 0;
  for (int i = 0; i < kReaders; ++i) {
    ASSERT_OK(failures[i]) << "reader " << i;
    total += shown[i];
    // The log holds exactly what each reader was shown, by the time its answers arrived.
    EXPECT_EQ(Count(kAccessLogEntries +
                    absl::StrCat(" WHERE purpose = 'reader ", i, "' AND method = 'SearchChildren'")) +
                  kRounds,
              shown[i])
        << "reader " << i;
  }
  EXPECT_EQ(Count(kAccessLogEntries), total);
  // Every record row has its read, and every read its records: the two tables commit together.
  EXPECT_EQ(Count("pii_access_records_by_week"), Count(kAccessLogEntries));
  EXPECT_EQ(Count("pii_access_reads r WHERE NOT EXISTS (SELECT 1 FROM pii_access_records_by_week a WHERE "
                  "a.log_id = r.id)"),
            0);
  v1::ListAccessLogRequest everything;
  EXPECT_EQ(static_cast<int>(AllEntries(everything, 37, auditor_).size()), total);
}

// The migration from the old log (a row per record read) keeps every entry: same entry id, time, reader,
// record, village and consent.
TEST(AccessLogMigration, RowsOfTheOldLog_AreTheSameEntriesAfterward) {
  std::vector<db::Migration> before;
  for (const db::Migration& m : RegistryMigrations()) {
    if (m.version < 44) before.push_back(m);
  }
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(before));
  ASSERT_OK(database->pool().Autocommit([](db::Session& s) -> absl::Status {
    return s
        .Execute(
            "INSERT INTO pii_access_log (id, at, subject, organisation_id, record_type, record_id, "
            "village_code, "
            "fields, purpose, method, consent_id) VALUES "
            "('01JD0000000000000000000001', '2026-11-30 01:02:03.456789', 'officer-wuding', 'wuding-ca', "
            "'child', "
            "'01JC0000000000000000000001', '532329101001', 'name,sex', 'review', 'GetChild', NULL), "
            "('01JD0000000000000000000002', '2026-11-30 01:02:04', 'caseworker-9', 'ngo-9', 'child', "
            "'01JC0000000000000000000001', '532329101001', 'name', 'referral out', 'GetChild', "
            "'01JK0000000000000000000001'), "
            "('01JD0000000000000000000003', '2026-11-30 01:02:05', 'officer-xixia', 'xixia-ca', 'referral', "
            "'01JR0000000000000000000001', '640105001002', 'child_name', 'triage', 'GetReferral', NULL)")
        .status();
  }));
  ASSERT_OK(db::ApplyMigrations(database->pool(), RegistryMigrations()));
  EXPECT_EQ(database->Count("information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                            "TABLE_NAME = 'pii_access_log'"),
            0);
  EXPECT_EQ(database->Count("pii_access_reads"), 3);
  EXPECT_EQ(database->Count("pii_access_records"), 3);

  SystemClock clock;
  IdGenerator ids(clock);
  ASSERT_OK_AND_ASSIGN(PiiCrypto crypto, PiiCrypto::Create(std::string(32, 'k'), std::string(32, 'h')));
  MariaDbRegistryStore store(database->pool(), clock, ids, std::move(crypto));
  ASSERT_OK_AND_ASSIGN(auto child, store.ListAccessLog({"53", "01JC0000000000000000000001", "", "", 10}));
  ASSERT_EQ(child.size(), 2u);
  EXPECT_EQ(child[0].entry_id(), "01JD0000000000000000000001");
  EXPECT_EQ(child[0].subject(), "officer-wuding");
  EXPECT_EQ(child[0].organisation_id(), "wuding-ca");
  EXPECT_EQ(child[0].fields(), "name,sex");
  EXPECT_EQ(child[0].purpose(), "review");
  EXPECT_EQ(child[0].method(), "GetChild");
  EXPECT_EQ(child[0].at().seconds() % 60, 3);
  EXPECT_EQ(child[0].at().nanos(), 456789000);
  EXPECT_EQ(child[0].consent_id(), "");
  EXPECT_EQ(child[1].entry_id(), "01JD0000000000000000000002");
  EXPECT_EQ(child[1].consent_id(), "01JK0000000000000000000001");
  ASSERT_OK_AND_ASSIGN(auto ningxia, store.ListAccessLog({"64", "", "", "", 10}));
  ASSERT_EQ(ningxia.size(), 1u);
  EXPECT_EQ(ningxia[0].record_type(), "referral");
  EXPECT_EQ(ningxia[0].record_id(), "01JR0000000000000000000001");
  ASSERT_OK_AND_ASSIGN(auto by_subject, store.ListAccessLog({"", "", "caseworker-9", "", 10}));
  ASSERT_EQ(by_subject.size(), 1u);
  EXPECT_EQ(by_subject[0].entry_id(), "01JD0000000000000000000002");
  // Paged from the first entry: the rest, as before.
  ASSERT_OK_AND_ASSIGN(auto rest, store.ListAccessLog({"", "", "", "01JD0000000000000000000001", 10}));
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].entry_id(), "01JD0000000000000000000002");
}

// "Who read this record" under the read's week (migration 0050): a batch's rows go under its ids' week, and a
// record's reads come back whole and in id order, page by page, across weeks with no reads between them and
// with a read logged before the migration (its row in pii_access_records) ahead of them.
TEST(AccessLogByWeek, ARecordReadAcrossWeeksAndBeforeTheMigration_EveryReadInIdOrder_PageByPage) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  ManualClock clock(absl::FromUnixSeconds(int64_t{20427} * 86400));  // 2026-12-05: week 2,918
  IdGenerator ids(clock);
  ASSERT_OK_AND_ASSIGN(PiiCrypto crypto, PiiCrypto::Create(std::string(32, 'k'), std::string(32, 'h')));
  MariaDbRegistryStore store(database->pool(), clock, ids, std::move(crypto));
  const std::string child = "01JC0000000000000000000001";
  const auto read = [&](const std::string& subject, const std::string& record) {
    return store.RecordAccess(
        {{subject, "wuding-ca", "child", record, "532329101001", "name", "review", "GetChild", ""}});
  };
  ASSERT_OK(read("officer-a", child));  // logged "before the migration": moved to the old table below
  ASSERT_OK(database->pool().Autocommit([](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("INSERT INTO pii_access_records (record_id, log_id) "
                              "SELECT record_id, log_id FROM pii_access_records_by_week")
                        .status());
    return s.Execute("DELETE FROM pii_access_records_by_week").status();
  }));
  ASSERT_OK(read("officer-b", child));
  ASSERT_OK(read("officer-b", "01JC0000000000000000000002"));  // another child, same week
  clock.Advance(absl::Hours(24 * 7 * 3));                      // three weeks on, none read between
  ASSERT_OK(read("officer-c", child));
  ASSERT_OK(read("officer-a", child));
  clock.Advance(absl::Hours(24 * 7));
  ASSERT_OK(read("officer-d", "01JC0000000000000000000002"));  // the last week holds no read of `child`

  EXPECT_EQ(database->Count("pii_access_records"), 1);
  EXPECT_EQ(database->Count("pii_access_records_by_week WHERE week = 2918"), 2);
  EXPECT_EQ(database->Count("pii_access_records_by_week WHERE week = 2921"), 2);
  EXPECT_EQ(database->Count("pii_access_records_by_week WHERE week = 2922"), 1);

  for (int page_size : {1, 2, 10}) {
    std::vector<std::string> subjects;
    std::string after;
    for (int page = 0; page < 10; ++page) {
      ASSERT_OK_AND_ASSIGN(auto entries, store.ListAccessLog({"", child, "", after, page_size}));
      for (const auto& e : entries) {
        EXPECT_EQ(e.record_id(), child);
        EXPECT_GT(e.entry_id(), after);
        subjects.push_back(e.subject());
        after = e.entry_id();
      }
      if (static_cast<int>(entries.size()) < page_size) break;
    }
    EXPECT_EQ(subjects, (std::vector<std::string>{"officer-a", "officer-b", "officer-c", "officer-a"}))
        << "pages of " << page_size;
  }
  // By reader too: officer-a's two reads, one from each table.
  ASSERT_OK_AND_ASSIGN(auto by_a, store.ListAccessLog({"", child, "officer-a", "", 10}));
  ASSERT_EQ(by_a.size(), 2u);
  EXPECT_LT(by_a[0].entry_id(), by_a[1].entry_id());
  ASSERT_OK_AND_ASSIGN(auto by_a_after_first,
                       store.ListAccessLog({"", child, "officer-a", by_a[0].entry_id(), 1}));
  ASSERT_EQ(by_a_after_first.size(), 1u);
  EXPECT_EQ(by_a_after_first[0].entry_id(), by_a[1].entry_id());
  ASSERT_OK_AND_ASSIGN(auto by_nobody, store.ListAccessLog({"", child, "officer-z", "", 10}));
  EXPECT_TRUE(by_nobody.empty());
}

// The writer pads a batch's INSERTs to a multiple of 8 rows by repeating the last row, in statements of at
// most 256 (access_log_writer.cc): one batch of 14 reads (16 rows) and 313 records (256, then 57 padded to
// 64) holds every read and record once, and the padding adds nothing.
TEST(AccessLogWriter, OneBatchAcrossPaddedAndSplitInserts_EveryReadAndRecordOnce) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  SystemClock clock;
  IdGenerator ids(clock);
  AccessLogWriter writer(database->pool(), clock, ids);
  std::vector<AccessRecord> records;
  for (int i = 0; i < 13; ++i) {  // a read each: they differ in purpose
    records.push_back({"officer-wuding", "wuding-ca", "child", absl::StrFormat("01JC%022d", i),
                       "532329101001", "name", absl::StrCat("visit ", i), "GetChild", ""});
  }
  for (int i = 0; i < 300; ++i) {  // one read: a page of 300
    records.push_back({"officer-wuding", "wuding-ca", "child", absl::StrFormat("01JP%022d", i),
                       i % 2 == 0 ? "532329101001" : "532329102201", "name", "county review",
                       "SearchChildren", ""});
  }
  ASSERT_OK(writer.Record(records));
  EXPECT_EQ(writer.CommitsAndRows(), std::make_pair(int64_t{1}, int64_t{313}));  // one batch
  EXPECT_EQ(database->Count("pii_access_reads"), 14);
  EXPECT_EQ(database->Count("pii_access_records_by_week"), 313);
  for (int i = 0; i < 13; ++i) {
    EXPECT_EQ(
        database->Count(kAccessLogEntries + absl::StrFormat(" WHERE purpose = 'visit %d' AND record_id = "
                                                            "'01JC%022d'",
                                                            i, i)),
        1)
        << i;
  }
  EXPECT_EQ(database->Count(kAccessLogEntries + " WHERE purpose = 'county review'"), 300);
  EXPECT_EQ(database->Count("pii_access_reads WHERE purpose = 'county review' AND scope = '53232910'"), 1);
  // The last record of each statement, the one repeated as padding, is there once like the rest.
  EXPECT_EQ(database->Count("pii_access_records_by_week WHERE record_id = '01JP0000000000000000000299'"), 1);
  EXPECT_EQ(database->Count("pii_access_records_by_week WHERE record_id = '01JC0000000000000000000012'"), 1);
}

// Readers are answered off the writer's committer (its group commit's answering thread): a reader whose
// answer is still being written (here, one that does not return until told) does not hold up the next
// read's log. When the writer answered on its own thread, the next read was not written until then.
TEST(AccessLogWriter, AReaderStillBeingAnswered_TheNextReadIsLoggedMeanwhile) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  SystemClock clock;
  IdGenerator ids(clock);
  AccessLogWriter writer(database->pool(), clock, ids);
  const auto read_of = [](const std::string& child) {
    return std::vector<AccessRecord>{
        {"officer-wuding", "wuding-ca", "child", child, "532329101001", "name", "visit", "GetChild", ""}};
  };
  absl::Notification first_answered, release_first, second_answered;
  writer.RecordThen(read_of("01JC0000000000000000000001"), [&](absl::Status status) {
    EXPECT_OK(status);
    first_answered.Notify();
    release_first.WaitForNotification();  // the first reader's answer, still being written
  });
  first_answered.WaitForNotification();
  absl::Status second;
  writer.RecordThen(read_of("01JC0000000000000000000002"), [&](absl::Status status) {
    second = status;
    second_answered.Notify();
  });
  // Not a timing target: a liveness check, generous for any machine, so that a regression fails, not hangs.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (database->Count("pii_access_records_by_week") < 2 && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(database->Count("pii_access_records_by_week"), 2)
      << "the second read was not logged while the first reader was being answered";
  release_first.Notify();
  second_answered.WaitForNotification();
  EXPECT_OK(second);
}

// A read of one child handed to the writer before the child is read (ReadChildThen, as GetChild does): the
// children of a batch are read once, in the log's transaction, and each reader's decision is its own. Here
// the first batch's read of children is held until six more orders have queued, so they are one batch: two
// readers of the same child, one of a child there is not, one of a child whose record cannot be opened (that
// reader alone fails), one refused by its decision, and a plain read.
TEST(AccessLogWriter, ChildReadsOfOneBatch_ReadTogether_EachDecidedAndLoggedOnItsOwn) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  SystemClock clock;
  IdGenerator ids(clock);
  const std::string kFirst = "01JC0000000000000000000001", kSecond = "01JC0000000000000000000002",
                    kBroken = "01JC0000000000000000000008", kMissing = "01JC0000000000000000000009";
  absl::Notification first_read_started, release_first_read;
  absl::Mutex mu;
  std::vector<std::vector<std::string>> asked;  // the ids of each read of children, in order
  AccessLogWriter writer(
      database->pool(), clock, ids,
      [&](db::Session&,
          const std::vector<std::string>& child_ids) -> absl::StatusOr<AccessLogWriter::FoundChildren> {
        bool first;
        {
          absl::MutexLock lock(&mu);
          asked.push_back(child_ids);
          first = asked.size() == 1;
        }
        if (first) {
          first_read_started.Notify();
          release_first_read.WaitForNotification();
        }
        AccessLogWriter::FoundChildren found;
        for (const std::string& id : child_ids) {
          if (id == kMissing) continue;
          if (id == kBroken) {
            found.emplace(id, absl::DataLossError("resident id cannot be opened"));
            continue;
          }
          v1::Child child;
          child.set_child_id(id);
          child.mutable_household()->set_village_code("532329101001");
          found.emplace(id, child);
        }
        return found;
      });
  // What each reader was shown, and the log's answer to it.
  struct Reader {
    std::string child_id;
    std::string purpose;
    bool refuse = false;
    std::optional<v1::Child> shown;
    absl::Status answer = absl::UnknownError("not answered");
    absl::Notification answered;
  };
  std::vector<std::unique_ptr<Reader>> readers;
  const auto read = [&](const std::string& child_id, const std::string& purpose, bool refuse) {
    readers.push_back(std::make_unique<Reader>());
    Reader* r = readers.back().get();
    r->child_id = child_id;
    r->purpose = purpose;
    r->refuse = refuse;
    writer.ReadChildThen(
        child_id,
        [r](std::optional<v1::Child> child) -> absl::StatusOr<AccessRead> {
          r->shown = child;
          if (!child) return absl::NotFoundError("child not found");
          if (r->refuse) return absl::PermissionDeniedError("not this reader's");
          return AccessRead{"officer-wuding",
                            "wuding-ca",
                            "child",
                            "name",
                            r->purpose,
                            "GetChild",
                            {{"", child->child_id(), child->household().village_code(), ""}}};
        },
        [r](absl::Status status) {
          r->answer = std::move(status);
          r->answered.Notify();
        });
  };
  read(kFirst, "holds the writer", false);
  first_read_started.WaitForNotification();
  read(kSecond, "second, once", false);
  read(kSecond, "second, again", false);
  read(kMissing, "no such child", false);
  read(kBroken, "cannot be opened", false);
  read(kFirst, "refused", true);
  absl::Notification plain_answered;
  absl::Status plain;
  writer.RecordThen(std::vector<AccessRecord>{{"officer-wuding", "wuding-ca", "child", kFirst, "532329101001",
                                               "name", "a plain read", "GetChild", ""}},
                    [&](absl::Status status) {
                      plain = std::move(status);
                      plain_answered.Notify();
                    });
  release_first_read.Notify();
  for (auto& r : readers) r->answered.WaitForNotification();
  plain_answered.WaitForNotification();

  {
    absl::MutexLock lock(&mu);
    ASSERT_EQ(asked.size(), 2u);  // one read of children a batch, each child once, in id order
    EXPECT_EQ(asked[1], (std::vector<std::string>{kFirst, kSecond, kBroken, kMissing}));
  }
  EXPECT_EQ(writer.CommitsAndRows(), std::make_pair(int64_t{2}, int64_t{4}));
  for (const auto& r : readers) {
    SCOPED_TRACE(r->purpose);
    EXPECT_EQ(r->shown.has_value(), r->child_id != kMissing && r->child_id != kBroken);
    if (r->shown) {
      EXPECT_EQ(r->shown->child_id(), r->child_id);
    }
    const int64_t logged = database->Count(absl::StrCat(kAccessLogEntries, " WHERE purpose = '", r->purpose,
                                                        "' AND record_id = '", r->child_id, "'"));
    if (r->child_id == kMissing) {
      EXPECT_THAT(r->answer, StatusIs(absl::StatusCode::kNotFound));
      EXPECT_EQ(logged, 0);
    } else if (r->child_id == kBroken) {  // its own error, undecided; the batch's other readers unharmed
      EXPECT_THAT(r->answer, StatusIs(absl::StatusCode::kDataLoss));
      EXPECT_EQ(logged, 0);
    } else if (r->refuse) {
      EXPECT_THAT(r->answer, StatusIs(absl::StatusCode::kPermissionDenied));
      EXPECT_EQ(logged, 0);
    } else {
      EXPECT_OK(r->answer);
      EXPECT_EQ(logged, 1);
    }
  }
  EXPECT_OK(plain);
  EXPECT_EQ(database->Count(kAccessLogEntries + " WHERE purpose = 'a plain read'"), 1);
  EXPECT_EQ(database->Count("pii_access_reads"), 4);
}

// A batch whose children cannot be read fails whole: every order in it, plain reads too, gets the error, and
// nothing of it is logged (a reader is never answered with a read the log does not hold).
TEST(AccessLogWriter, ChildrenCannotBeRead_TheWholeBatchFails_NothingLogged) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  SystemClock clock;
  IdGenerator ids(clock);
  absl::Notification read_started, release_read;
  AccessLogWriter writer(
      database->pool(), clock, ids,
      [&](db::Session&, const std::vector<std::string>&) -> absl::StatusOr<AccessLogWriter::FoundChildren> {
        if (!read_started.HasBeenNotified()) {
          read_started.Notify();
          release_read.WaitForNotification();
          return AccessLogWriter::FoundChildren{};
        }
        return absl::UnavailableError("lost connection to MariaDB");
      });
  const auto no_decision = [](std::optional<v1::Child>) -> absl::StatusOr<AccessRead> {
    return absl::NotFoundError("child not found");
  };
  absl::Notification first_answered, lookup_answered, plain_answered;
  writer.ReadChildThen("01JC0000000000000000000001", no_decision,
                       [&](absl::Status) { first_answered.Notify(); });
  read_started.WaitForNotification();
  absl::Status lookup, plain;
  writer.ReadChildThen("01JC0000000000000000000002", no_decision, [&](absl::Status status) {
    lookup = std::move(status);
    lookup_answered.Notify();
  });
  writer.RecordThen(
      std::vector<AccessRecord>{{"officer-wuding", "wuding-ca", "child", "01JC0000000000000000000003",
                                 "532329101001", "name", "a plain read", "GetChild", ""}},
      [&](absl::Status status) {
        plain = std::move(status);
        plain_answered.Notify();
      });
  release_read.Notify();
  first_answered.WaitForNotification();
  lookup_answered.WaitForNotification();
  plain_answered.WaitForNotification();
  EXPECT_THAT(lookup, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(plain, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(database->Count("pii_access_reads"), 0);
}

// A batch whose connection answered as one in a state we do not know (a syntax error, here, for a statement
// the log never sends) fails, and the next batch is written on a fresh connection, not on that one again.
TEST(AccessLogWriter, ConnectionAnsweredUnexpectedly_TheNextBatchTakesAFreshOne) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  SystemClock clock;
  IdGenerator ids(clock);
  std::vector<int64_t> connections;
  AccessLogWriter writer(
      database->pool(), clock, ids,
      [&](db::Session& s, const std::vector<std::string>&) -> absl::StatusOr<AccessLogWriter::FoundChildren> {
        ASSIGN_OR_RETURN(std::optional<db::Row> id, s.QueryOne("SELECT CONNECTION_ID()"));
        connections.push_back(id->Int(0));
        if (connections.size() == 1) RETURN_IF_ERROR(s.Query("SELEC 1").status());
        return AccessLogWriter::FoundChildren{};
      });
  const auto no_decision = [](std::optional<v1::Child>) -> absl::StatusOr<AccessRead> {
    return absl::NotFoundError("child not found");
  };
  for (const absl::StatusCode expected : {absl::StatusCode::kInternal, absl::StatusCode::kNotFound}) {
    absl::Notification answered;
    absl::Status answer;
    writer.ReadChildThen("01JC0000000000000000000001", no_decision, [&](absl::Status status) {
      answer = std::move(status);
      answered.Notify();
    });
    answered.WaitForNotification();
    EXPECT_THAT(answer, StatusIs(expected));
  }
  ASSERT_EQ(connections.size(), 2u);
  EXPECT_NE(connections[0], connections[1]);
}

// ---- the log's order across replicas (migration 0049)

// A replica's clock: the machine's, `offset` ahead.
class ClockAhead final : public Clock {
 public:
  explicit ClockAhead(absl::Duration offset) : offset_(offset) {}
  absl::Time Now() const override { return absl::Now() + offset_; }

 private:
  absl::Duration offset_;
};

// Two replicas' access logs on one database, the first's clock `ahead` of the second's (the machine's), and
// the log as an auditor reads it (ListAccessLog).
struct TwoReplicas {
  explicit TwoReplicas(db::Pool& pool, absl::Duration ahead)
      : ahead_clock(ahead),
        ahead_ids(ahead_clock),
        behind_ids(behind_clock),
        ahead_log(pool, ahead_clock, ahead_ids),
        behind_log(pool, behind_clock, behind_ids),
        auditor_ids(behind_clock),
        auditor(pool, behind_clock, auditor_ids,
                *PiiCrypto::Create(std::string(32, 'k'), std::string(32, 'h'))) {}

  ClockAhead ahead_clock;
  SystemClock behind_clock;
  IdGenerator ahead_ids, behind_ids;
  AccessLogWriter ahead_log, behind_log;
  IdGenerator auditor_ids;
  MariaDbRegistryStore auditor;
};

std::vector<AccessRecord> ReadOf(const std::string& child_id, const std::string& purpose) {
  return {
      {"officer-wuding", "wuding-ca", "child", child_id, "532329101001", "name", purpose, "GetChild", ""}};
}

// Two replicas' writers, one whose clock is an hour ahead: the replica behind logs a read after the other
// has, and that read's entry still sorts after the other's, so an auditor paging by id who has seen the first
// does not skip the second. Without the log's turn its id would be an hour lower.
TEST(AccessLogWriter, TwoReplicas_OneClockAnHourAhead_TheLaterReadSortsAfter) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  TwoReplicas replicas(database->pool(), absl::Hours(1));
  ASSERT_OK(replicas.ahead_log.Record(ReadOf("01JC0000000000000000000001", "first")));
  ASSERT_OK(replicas.behind_log.Record(ReadOf("01JC0000000000000000000002", "second")));
  ASSERT_OK(replicas.ahead_log.Record(ReadOf("01JC0000000000000000000003", "third")));
  ASSERT_OK_AND_ASSIGN(auto entries, replicas.auditor.ListAccessLog({"", "", "", "", 10}));
  std::vector<std::string> purposes;
  for (const auto& e : entries) purposes.push_back(e.purpose());
  EXPECT_EQ(purposes, (std::vector<std::string>{"first", "second", "third"})) << "the log in id order";
}

// Two replicas logging at once, one's clock 20 ms ahead, while an auditor's program follows the log's tail
// page by page (after the last entry it saw, as ListAccessLog pages): it must see every entry. With the
// turn's condition removed, the writer behind commits ids below entries the follower has already passed.
TEST(AccessLogWriter, TwoReplicasAtOnce_AFollowerPagingById_MissesNoEntry) {
  ASSERT_OK_AND_ASSIGN(auto database, shouhu::testing::TestDatabase::Create(RegistryMigrations()));
  TwoReplicas replicas(database->pool(), absl::Milliseconds(20));

  constexpr int kReadersPerReplica = 4;
  constexpr int kReadsEach = 40;
  std::atomic<int> writing{2 * kReadersPerReplica};
  std::vector<absl::Status> failures(2 * kReadersPerReplica);
  std::vector<std::thread> readers;
  for (int r = 0; r < 2 * kReadersPerReplica; ++r) {
    AccessLogWriter& writer = r % 2 == 0 ? replicas.ahead_log : replicas.behind_log;
    readers.emplace_back([&, r] {
      for (int i = 0; i < kReadsEach && failures[r].ok(); ++i) {
        failures[r] =
            writer.Record(ReadOf(absl::StrFormat("01JC%06d%016d", r, i), absl::StrCat("reader ", r)));
      }
      --writing;
    });
  }
  absl::StatusOr<std::set<std::string>> followed;
  std::thread follower([&] { followed = FollowAccessLog(replicas.auditor, writing); });
  for (auto& t : readers) t.join();
  follower.join();
  for (const absl::Status& failure : failures) ASSERT_OK(failure);
  ASSERT_OK(followed.status());
  ASSERT_EQ(database->Count(kAccessLogEntries), 2 * kReadersPerReplica * kReadsEach);
  EXPECT_EQ(static_cast<int>(followed->size()), 2 * kReadersPerReplica * kReadsEach)
      << "the follower skipped entries that committed below an id it had already passed";
}

}  // namespace
}  // namespace shouhu::registry::testing
