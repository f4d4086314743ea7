-- Stub of pgsodium: the extension and its schema only (see stubs.py).
select 1;
