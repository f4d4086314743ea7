"""The local target: throwaway Postgres, Management API simulator, functions gateway."""
