-- What a suspension rests on is named as the county names it: 勐海公安(2026)045号, 县民政局处理决定 3 号.
-- The reference columns were ASCII, so any such reference failed at its INSERT (INTERNAL to the officer,
-- nothing written) after the edge had accepted it as text of up to 64 characters. Now UTF-8, still compared
-- byte for byte (utf8mb4_bin, as ascii_bin did): a hold is lifted by naming exactly its reference, and two
-- references that differ only in case or width are two holds. 64 characters of utf8mb4 keep
-- suspension_holds' key within InnoDB's 3072 bytes. Rolling upgrade: an older replica writes ASCII
-- references, which these columns take as before; a Chinese reference works once every replica is upgraded
-- (an older one still fails it at the INSERT, as it did).
ALTER TABLE participants
  MODIFY suspension_reference VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
ALTER TABLE suspension_changes
  MODIFY reference VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '';
ALTER TABLE suspension_holds
  MODIFY reference VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
