-- Stub of pg_tle: the extension and its schema only (see stubs.py).
select 1;
