-- Training now keeps a person's suspension as one hold per concern (training 0040, suspension_rules.h) and
-- lifts each on its own. Before it, a second concern's suspension about a suspended person changed nothing in
-- training, so that concern has no hold there: closing the first would reinstate the person while the second
-- still stands. Every concern that holds its person (open or upheld) is sent to training again
-- (safeguarding_desk.cc, under a new request id), placing the holds that are missing; one already placed is
-- left as it is. Upgrade training first.
UPDATE safeguarding_concerns SET training_pending = 1 WHERE state IN (1, 2) AND training_pending = 0;
