"""Rehearsal: pending migrations applied to a throwaway copy first, with the locks and rewrites they take."""
