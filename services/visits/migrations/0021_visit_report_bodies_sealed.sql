-- A visit report's content (what the visitor saw in the home, the needs, the summary) is among the most
-- sensitive things the network holds: it is sealed like the other personal data (common/pii_crypto.h,
-- sealed to the report's id) in body_sealed. Reports written before hold their content in body, read as
-- they are until the visits service seals them (ReportBodySealing, at its start) and clears body.
ALTER TABLE visit_reports
  ADD COLUMN body_sealed MEDIUMBLOB NULL AFTER body,
  MODIFY body MEDIUMBLOB NULL;
