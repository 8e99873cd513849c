-- A release reaching only from a later day (a background check cleared until then: its visits beyond it are
-- taken back at once) is counted apart from the releases from today (0031). A weekend plan that judged the
-- person before such a release must not store a visit on or after its day, and may store the days before it:
-- training answered for each of them. So the plan's store compares this count with the one it read and, when
-- one release came in between, its first day (later_release_from) with the visitor's days in the plan. Kept
-- apart from `releases` because the previous release counts there only the releases from today and never
-- writes the day: a day left from an older release must not excuse a newer one counted there.
ALTER TABLE visitors
  ADD COLUMN IF NOT EXISTS later_releases BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS later_release_from DATE NULL;
