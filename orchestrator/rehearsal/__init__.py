"""Rehearsal: migrations applied to a throwaway PostgreSQL before the real thing.

- `copy` + `profile`: an environment's pending migrations on a copy of its schema, with the locks,
  scans and rewrites each statement takes, measured (the `rehearse` step and command).
- `installation` + `stubs` + `baseline`: a project's whole history replayed on a Supabase baseline
  (roles, schemas, auth/storage, grants) with declared stub extensions where the real ones cannot
  be installed (`benchmarks/rehearse_history.py`).
"""
