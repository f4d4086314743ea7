begin;
create index concurrently orders_created_idx on orders (created_at);
commit;
