drop table legacy_orders;
alter table orders drop column legacy_note;
drop database analytics;
truncate audit_log cascade;
alter table orders rename to purchases;
alter table purchases rename column total to amount;
alter table purchases alter column status drop not null;
