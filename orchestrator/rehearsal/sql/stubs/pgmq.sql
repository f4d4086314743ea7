-- pgmq rewritten by us in PL/pgSQL, enough for migrations and for queues to really hold messages:
-- create/drop, send/send_batch, read/read_with_poll/pop, set_vt, delete/archive (one or many),
-- purge, list_queues, metrics. Not here: partitioned queues (pg_partman), notify_insert, FIFO reads.
create table pgmq.meta (queue_name varchar unique not null, is_partitioned boolean not null,
                        is_unlogged boolean not null, created_at timestamptz default now() not null);
create type pgmq.message_record as (msg_id bigint, read_ct integer, enqueued_at timestamptz, vt timestamptz,
                                    message jsonb, headers jsonb);
create type pgmq.queue_record as (queue_name varchar, is_partitioned boolean, is_unlogged boolean,
                                  created_at timestamptz);
create type pgmq.metrics_result as (queue_name text, queue_length bigint, newest_msg_age_sec integer,
                                    oldest_msg_age_sec integer, total_messages bigint, scrape_time timestamptz,
                                    queue_visible_length bigint);
create function pgmq.format_table_name(queue_name text, prefix text) returns text language plpgsql immutable as $$
begin
  if queue_name !~ '^[A-Za-z0-9_-]+$' then
    raise exception 'queue name contains invalid characters: %', queue_name;
  end if;
  return lower(prefix || '_' || queue_name);
end $$;
create function pgmq._create(queue_name text, unlogged boolean) returns void language plpgsql as $$
declare
  q text := pgmq.format_table_name(queue_name, 'q');
  a text := pgmq.format_table_name(queue_name, 'a');
begin
  execute format('create %s table if not exists pgmq.%I (msg_id bigint primary key generated always as identity,
    read_ct integer default 0 not null, enqueued_at timestamptz default now() not null, vt timestamptz not null,
    message jsonb, headers jsonb)', case when unlogged then 'unlogged' else '' end, q);
  execute format('create table if not exists pgmq.%I (msg_id bigint primary key, read_ct integer default 0 not null,
    enqueued_at timestamptz default now() not null, archived_at timestamptz default now() not null,
    vt timestamptz not null, message jsonb, headers jsonb)', a);
  execute format('create index if not exists %I on pgmq.%I (vt asc)', q || '_vt_idx', q);
  insert into pgmq.meta (queue_name, is_partitioned, is_unlogged) values (queue_name, false, unlogged)
  on conflict do nothing;
end $$;
create function pgmq.create(queue_name text) returns void language sql as $$ select pgmq._create(queue_name, false) $$;
create function pgmq.create_non_partitioned(queue_name text) returns void language sql as $$ select pgmq._create(queue_name, false) $$;
create function pgmq.create_unlogged(queue_name text) returns void language sql as $$ select pgmq._create(queue_name, true) $$;
create function pgmq.drop_queue(queue_name text) returns boolean language plpgsql as $$
begin
  execute format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'q'));
  execute format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'a'));
  delete from pgmq.meta m where m.queue_name = drop_queue.queue_name;
  return found;
end $$;
create function pgmq.send_batch(queue_name text, msgs jsonb[], delay integer default 0) returns setof bigint
language plpgsql as $$
begin
  return query execute format('insert into pgmq.%I (vt, message) select now() + make_interval(secs => $2), m
    from unnest($1) m returning msg_id', pgmq.format_table_name(queue_name, 'q')) using msgs, delay;
end $$;
create function pgmq.send(queue_name text, msg jsonb, delay integer default 0) returns setof bigint
language sql as $$ select pgmq.send_batch(queue_name, array[msg], delay) $$;
create function pgmq.read(queue_name text, vt integer, qty integer) returns setof pgmq.message_record
language plpgsql as $$
begin
  return query execute format('with c as (select msg_id from pgmq.%1$I where vt <= now() order by msg_id
    limit $1 for update skip locked) update pgmq.%1$I q set vt = now() + make_interval(secs => $2),
    read_ct = q.read_ct + 1 from c where q.msg_id = c.msg_id
    returning q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers',
    pgmq.format_table_name(queue_name, 'q')) using qty, vt;
end $$;
create function pgmq.read_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer default 5,
                                    poll_interval_ms integer default 100) returns setof pgmq.message_record
language sql as $$ select * from pgmq.read(queue_name, vt, qty) $$;
create function pgmq.pop(queue_name text) returns setof pgmq.message_record language plpgsql as $$
begin
  return query execute format('with c as (select msg_id from pgmq.%1$I where vt <= now() order by msg_id
    limit 1 for update skip locked) delete from pgmq.%1$I q using c where q.msg_id = c.msg_id
    returning q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers',
    pgmq.format_table_name(queue_name, 'q'));
end $$;
create function pgmq.set_vt(queue_name text, msg_id bigint, vt integer) returns setof pgmq.message_record
language plpgsql as $$
begin
  return query execute format('update pgmq.%I set vt = now() + make_interval(secs => $2) where msg_id = $1
    returning msg_id, read_ct, enqueued_at, vt, message, headers', pgmq.format_table_name(queue_name, 'q'))
    using msg_id, vt;
end $$;
create function pgmq.delete(queue_name text, msg_ids bigint[]) returns setof bigint language plpgsql as $$
begin
  return query execute format('delete from pgmq.%I where msg_id = any($1) returning msg_id',
    pgmq.format_table_name(queue_name, 'q')) using msg_ids;
end $$;
create function pgmq.delete(queue_name text, msg_id bigint) returns boolean language sql as $$
  select exists (select from pgmq.delete(queue_name, array[msg_id]))
$$;
create function pgmq.archive(queue_name text, msg_ids bigint[]) returns setof bigint language plpgsql as $$
begin
  return query execute format('with d as (delete from pgmq.%I where msg_id = any($1) returning *)
    insert into pgmq.%I (msg_id, read_ct, enqueued_at, vt, message, headers)
    select msg_id, read_ct, enqueued_at, vt, message, headers from d returning msg_id',
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a')) using msg_ids;
end $$;
create function pgmq.archive(queue_name text, msg_id bigint) returns boolean language sql as $$
  select exists (select from pgmq.archive(queue_name, array[msg_id]))
$$;
create function pgmq.purge_queue(queue_name text) returns bigint language plpgsql as $$
declare n bigint;
begin
  execute format('with d as (delete from pgmq.%I returning 1) select count(*) from d',
                 pgmq.format_table_name(queue_name, 'q')) into n;
  return n;
end $$;
create function pgmq.list_queues() returns setof pgmq.queue_record language sql as $$
  select queue_name, is_partitioned, is_unlogged, created_at from pgmq.meta
$$;
create function pgmq.metrics(queue_name text) returns pgmq.metrics_result language plpgsql as $$
declare r pgmq.metrics_result;
begin
  execute format('select $1, count(*), extract(epoch from now() - max(enqueued_at))::int,
    extract(epoch from now() - min(enqueued_at))::int, coalesce(max(msg_id), 0), now(),
    count(*) filter (where vt <= now()) from pgmq.%I', pgmq.format_table_name(queue_name, 'q'))
    into r using queue_name;
  return r;
end $$;
create function pgmq.metrics_all() returns setof pgmq.metrics_result language sql as $$
  select (pgmq.metrics(queue_name)).* from pgmq.meta
$$;
grant usage on schema pgmq to postgres, anon, authenticated, service_role;
