create table events (
  id bigint generated always as identity primary key,
  happened_at timestamp not null,
  code char(4),
  name varchar(120)
);
alter table events enable row level security;
alter table events add column seen_at timestamp without time zone;
