-- The months of a monthly enrolment an arrears application claims (ClaimMonthlyArrears): a raise that reached
-- back over months paid already leaves each owed the difference, paid once through the application. A claim
-- whose application was rejected, withdrawn or cancelled is dead and the month owed again: the next claim of
-- it is the month's next attempt. Two claims of one month race for the same (enrolment, month, attempt) key,
-- so the month is claimed once even where the claims ran on different Galera nodes (which certify the rows a
-- transaction writes, not the rows it locked reading).
CREATE TABLE IF NOT EXISTS monthly_arrears (
  enrolment_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  month DATE NOT NULL,
  attempt INT NOT NULL,
  application_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- What the month's line paid, the month's amount the claim brings it to, and the part of the difference
  -- this claim pays (a live claim of an earlier raise may hold the rest).
  paid_fen BIGINT NOT NULL,
  due_fen BIGINT NOT NULL,
  owed_fen BIGINT NOT NULL,
  PRIMARY KEY (enrolment_id, month, attempt),
  KEY monthly_arrears_application (application_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
