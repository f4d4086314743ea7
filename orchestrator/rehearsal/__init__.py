"""Rehearsal: replay a project's whole migration history on a throwaway PostgreSQL with a Supabase baseline.

`installation` makes a private copy of the server whose extension folder holds the declared stubs
(`stubs`); `baseline` installs what a hosted project starts with and tells real from stub.
"""
