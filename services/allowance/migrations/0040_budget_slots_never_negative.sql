-- No balance of a budget slot is ever negative (0030's invariant), now kept by the database as well as by
-- every writer's guard. The payment batch relies on it: it moves a batch's sums from reserved to in payment
-- with one multi-row upsert, which has no WHERE to guard it, and this CHECK fails the statement (and the
-- batch) instead. Existing rows are checked as the constraint is added: a negative balance stops the
-- migration rather than hiding.
ALTER TABLE program_budget_slots ADD CONSTRAINT program_budget_slots_not_negative
  CHECK (available_fen >= 0 AND reserved_fen >= 0 AND in_payment_fen >= 0 AND disbursed_fen >= 0);
