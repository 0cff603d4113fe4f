-- Migration 12: reserved for a migration of another issue being developed at the same time.
-- Alerts (issue 13) was told to use number 13 only; this placeholder keeps the numbers contiguous
-- in its branch and is replaced by the real migration 12 when the branches are merged.
SELECT 1;
