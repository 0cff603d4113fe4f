-- Migration 11: reserved for a migration of another issue being developed at the same time.
-- Control (issue 11) was told to use number 12 only; this placeholder keeps the numbers contiguous
-- in its branch and is replaced by the real migration 11 when the branches are merged.
SELECT 1;
