"""supabase-orchestrator: ship Supabase projects safely."""

__version__ = "0.1.0"
