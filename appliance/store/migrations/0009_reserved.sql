-- Migration 9: reserved for a migration of another issue being developed at the same time.
-- Storage (issue 14) was told to use number 11 only; this placeholder keeps the numbers contiguous
-- in its branch and is replaced by the real migration 9 when the branches are merged.
SELECT 1;
