begin;
alter table orders add column note2 text;
commit;
begin;
create index concurrently orders_note2_idx on orders (note2);
