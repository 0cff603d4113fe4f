-- Migration 10: empty. The number was held for a branch developed in parallel (docs/decisions.md,
-- "Migration numbers after the parallel branches"); databases of the 2026-11-29 build carry it, so it stays.
SELECT 1;
