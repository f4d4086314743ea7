"""Adapters: the one chokepoint per outside world (supabase CLI, Management API, git)."""
