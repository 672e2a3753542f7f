-- The attempts a delivery had made when its current retry schedule began: 0 at first, its attempt
-- count when a replay starts the schedule over (attempt numbers keep counting up). The step of the
-- next retry is taken from attempts - schedule_from, so a re-queue (the reconciler, Redis lost its
-- keys) never restarts a schedule, and a replay always does.
ALTER TABLE deliveries ADD COLUMN schedule_from integer NOT NULL DEFAULT 0;
