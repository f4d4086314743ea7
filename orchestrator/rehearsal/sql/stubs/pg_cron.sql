-- Stub of pg_cron, only where the server has no real one (Debian 12 packages it for PG 15, not 17):
-- cron.job and cron.job_run_details with their real columns, schedule/unschedule/alter_job with
-- their real signatures and schedule syntax checks; jobs are recorded, never run.
create schema if not exists cron;
create table cron.job (
  jobid bigserial primary key,
  schedule text not null,
  command text not null,
  nodename text default 'localhost' not null,
  nodeport integer default inet_server_port() not null,
  database text default current_database() not null,
  username text default current_user not null,
  active boolean default true not null,
  jobname text,
  unique (jobname, username)
);
create table cron.job_run_details (
  jobid bigint, runid bigserial primary key, job_pid integer, database text, username text, command text,
  status text, return_message text, start_time timestamptz, end_time timestamptz
);
create function cron._checked(schedule text) returns text language plpgsql immutable as $$
begin
  if schedule !~* '^\s*([1-5]?[0-9] seconds?|@(yearly|annually|monthly|weekly|daily|hourly|reboot)|\$|(\S+\s+){4}\S+)\s*$' then
    raise exception 'invalid schedule: %', schedule using errcode = '22023';
  end if;
  return schedule;
end $$;
create function cron.schedule_in_database(job_name text, schedule text, command text, database text,
                                          username text default null, active boolean default true)
returns bigint language plpgsql as $$
#variable_conflict use_column
declare id bigint;
begin
  insert into cron.job (jobname, schedule, command, database, username, active)
  values (job_name, cron._checked(schedule), command, database, coalesce(username, current_user), active)
  on conflict (jobname, username) do update set schedule = excluded.schedule, command = excluded.command,
    database = excluded.database, active = excluded.active
  returning jobid into id;
  return id;
end $$;
create function cron.schedule(job_name text, schedule text, command text) returns bigint language sql as $$
  select cron.schedule_in_database(job_name, schedule, command, current_database())
$$;
create function cron.schedule(schedule text, command text) returns bigint language sql as $$
  select cron.schedule_in_database(null, schedule, command, current_database())
$$;
create function cron.unschedule(job_id bigint) returns boolean language plpgsql as $$
begin
  delete from cron.job where jobid = job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
  return true;
end $$;
create function cron.unschedule(job_name text) returns boolean language plpgsql as $$
#variable_conflict use_column
begin
  delete from cron.job where jobname = job_name and username = current_user;
  if not found then
    raise exception 'could not find valid entry for job ''%''', job_name;
  end if;
  return true;
end $$;
create function cron.alter_job(job_id bigint, schedule text default null, command text default null,
                               database text default null, username text default null, active boolean default null)
returns void language plpgsql as $$
#variable_conflict use_variable
begin
  update cron.job j set schedule = coalesce(cron._checked(alter_job.schedule), j.schedule),
    command = coalesce(alter_job.command, j.command), database = coalesce(alter_job.database, j.database),
    username = coalesce(alter_job.username, j.username), active = coalesce(alter_job.active, j.active)
  where j.jobid = job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
end $$;
grant usage on schema cron to postgres with grant option;
grant all on all tables in schema cron to postgres with grant option;
