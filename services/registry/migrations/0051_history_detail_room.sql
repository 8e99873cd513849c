-- A history entry's detail is the reason given (up to 1,000 characters, registry_service.cc kMaxReasonChars)
-- after what changed: "ngo-a -> ngo-b: …" (a transfer, two organisation ids of up to 64), "HIGH -> EXTREME:
-- …", "CHILD_WELFARE_INSTITUTION: …". In 1,000 characters a reason near its limit, a county's long 情况说明,
-- passed the edge and then failed at the INSERT: INVALID_ARGUMENT naming no field, nothing written. 1,200
-- holds the longest prefix and the reason. Widening a VARCHAR past 255 bytes that already was keeps its
-- length bytes, so InnoDB changes only the definition (no table copy on a province's history). Rolling
-- upgrade: older replicas write what fitted before.
ALTER TABLE case_history MODIFY detail VARCHAR(1200) NOT NULL DEFAULT '';
ALTER TABLE referral_history MODIFY detail VARCHAR(1200) NOT NULL DEFAULT '';
