-- Weir's PGMQ-compatible install. Owns schema `pgmq`: the queue registry (`pgmq.meta`), the
-- per-queue tables `pgmq.q_<name>` / `pgmq.a_<name>`, and the public functions of the `pgmq`
-- extension with its signatures and table layout (create, drop_queue, send, send_batch, read, pop,
-- delete, archive, set_vt, purge_queue, metrics, metrics_all, list_queues). Written for Weir, not
-- copied: the extension is not packaged for every platform Weir runs on (PGlite, managed servers),
-- so Weir always installs this. Idempotent: safe to run on every start.
-- Visibility uses the server clock (clock_timestamp()), as the extension does; durable time
-- (timers, schedules) uses weir.now() instead (see 10_clock.sql).

CREATE SCHEMA IF NOT EXISTS pgmq;

CREATE TABLE IF NOT EXISTS pgmq.meta (
  queue_name varchar UNIQUE NOT NULL,
  is_partitioned boolean NOT NULL DEFAULT false,
  is_unlogged boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = 'pgmq' AND t.typname = 'message_record') THEN
    CREATE TYPE pgmq.message_record AS (
      msg_id bigint, read_ct integer, enqueued_at timestamptz, vt timestamptz, message jsonb, headers jsonb
    );
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = 'pgmq' AND t.typname = 'queue_record') THEN
    CREATE TYPE pgmq.queue_record AS (
      queue_name varchar, is_partitioned boolean, is_unlogged boolean, created_at timestamptz
    );
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = 'pgmq' AND t.typname = 'metrics_result') THEN
    CREATE TYPE pgmq.metrics_result AS (
      queue_name text, queue_length bigint, newest_msg_age_sec integer, oldest_msg_age_sec integer,
      total_messages bigint, scrape_time timestamptz, queue_visible_length bigint
    );
  END IF;
END $$;

-- Queue names become table names: letters, digits and underscores, at most 47 characters
-- (the extension's limit, leaving room for prefixes within NAMEDATALEN).
CREATE OR REPLACE FUNCTION pgmq.format_table_name(queue_name text, prefix text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF queue_name IS NULL OR queue_name !~ '^[A-Za-z0-9_]+$' THEN
    RAISE EXCEPTION 'queue name "%" is invalid: use letters, digits and underscores', queue_name
      USING ERRCODE = '22023';
  END IF;
  IF length(queue_name) > 47 THEN
    RAISE EXCEPTION 'queue name "%" is too long: at most 47 characters', queue_name USING ERRCODE = '22023';
  END IF;
  RETURN lower(prefix || '_' || queue_name);
END $$;

CREATE OR REPLACE FUNCTION pgmq.create(queue_name text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
  qname text := lower(queue_name);
BEGIN
  -- Two replicas may create the same queue at once: serialise on the name.
  PERFORM pg_advisory_xact_lock(hashtext('pgmq.create:' || qtable));
  EXECUTE format($q$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
      msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
      read_ct integer NOT NULL DEFAULT 0,
      enqueued_at timestamptz NOT NULL DEFAULT now(),
      vt timestamptz NOT NULL,
      message jsonb,
      headers jsonb
    )$q$, qtable);
  EXECUTE format($q$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
      msg_id bigint PRIMARY KEY,
      read_ct integer NOT NULL DEFAULT 0,
      enqueued_at timestamptz NOT NULL DEFAULT now(),
      archived_at timestamptz NOT NULL DEFAULT now(),
      vt timestamptz NOT NULL,
      message jsonb,
      headers jsonb
    )$q$, atable);
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (vt ASC)', qtable || '_vt_idx', qtable);
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (archived_at)', 'archived_at_idx_' || lower(queue_name), atable);
  INSERT INTO pgmq.meta AS m (queue_name) VALUES (qname) ON CONFLICT ON CONSTRAINT meta_queue_name_key DO NOTHING;
END $$;

CREATE OR REPLACE FUNCTION pgmq.drop_queue(queue_name text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pgmq.meta m WHERE m.queue_name = lower(drop_queue.queue_name)) THEN
    RETURN false;
  END IF;
  EXECUTE format('DROP TABLE IF EXISTS pgmq.%I', qtable);
  EXECUTE format('DROP TABLE IF EXISTS pgmq.%I', atable);
  DELETE FROM pgmq.meta m WHERE m.queue_name = lower(drop_queue.queue_name);
  RETURN true;
END $$;

CREATE OR REPLACE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'INSERT INTO pgmq.%I (vt, message, headers) VALUES (clock_timestamp() + make_interval(secs => $1), $2, $3) RETURNING msg_id',
    pgmq.format_table_name(queue_name, 'q')) USING greatest(delay, 0), msg, headers;
END $$;

CREATE OR REPLACE FUNCTION pgmq.send(queue_name text, msg jsonb, delay integer DEFAULT 0)
RETURNS SETOF bigint LANGUAGE sql AS $$
  SELECT * FROM pgmq.send(queue_name, msg, NULL::jsonb, delay);
$$;

CREATE OR REPLACE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'INSERT INTO pgmq.%I (vt, message, headers)
     SELECT clock_timestamp() + make_interval(secs => $1), m.msg, h.hdr
     FROM unnest($2) WITH ORDINALITY AS m(msg, i)
     LEFT JOIN unnest($3) WITH ORDINALITY AS h(hdr, i) USING (i)
     ORDER BY m.i
     RETURNING msg_id',
    pgmq.format_table_name(queue_name, 'q')) USING greatest(delay, 0), msgs, headers;
END $$;

CREATE OR REPLACE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay integer DEFAULT 0)
RETURNS SETOF bigint LANGUAGE sql AS $$
  SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL::jsonb[], delay);
$$;

-- Claims up to qty visible messages, oldest first, skipping rows another reader holds, and hides
-- them for vt seconds. `conditional` filters on message containment (@>), as the extension does.
CREATE OR REPLACE FUNCTION pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb DEFAULT '{}')
RETURNS SETOF pgmq.message_record LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH cte AS (
       SELECT msg_id FROM pgmq.%1$I
       WHERE vt <= clock_timestamp() AND ($3 = ''{}''::jsonb OR message @> $3)
       ORDER BY msg_id ASC
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     )
     UPDATE pgmq.%1$I m
     SET vt = clock_timestamp() + make_interval(secs => $2), read_ct = m.read_ct + 1
     FROM cte WHERE m.msg_id = cte.msg_id
     RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message, m.headers',
    pgmq.format_table_name(queue_name, 'q')) USING qty, vt, coalesce(conditional, '{}'::jsonb);
END $$;

CREATE OR REPLACE FUNCTION pgmq.pop(queue_name text)
RETURNS SETOF pgmq.message_record LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH cte AS (
       SELECT msg_id FROM pgmq.%1$I WHERE vt <= clock_timestamp()
       ORDER BY msg_id ASC LIMIT 1 FOR UPDATE SKIP LOCKED
     )
     DELETE FROM pgmq.%1$I m USING cte WHERE m.msg_id = cte.msg_id
     RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message, m.headers',
    pgmq.format_table_name(queue_name, 'q'));
END $$;

CREATE OR REPLACE FUNCTION pgmq.delete(queue_name text, msg_id bigint)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
  EXECUTE format('DELETE FROM pgmq.%I WHERE msg_id = $1', pgmq.format_table_name(queue_name, 'q')) USING msg_id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n > 0;
END $$;

CREATE OR REPLACE FUNCTION pgmq.delete(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format('DELETE FROM pgmq.%I WHERE msg_id = ANY($1) RETURNING msg_id',
    pgmq.format_table_name(queue_name, 'q')) USING msg_ids;
END $$;

CREATE OR REPLACE FUNCTION pgmq.archive(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH archived AS (DELETE FROM pgmq.%1$I WHERE msg_id = ANY($1) RETURNING msg_id, vt, read_ct, enqueued_at, message, headers)
     INSERT INTO pgmq.%2$I (msg_id, vt, read_ct, enqueued_at, message, headers)
     SELECT msg_id, vt, read_ct, enqueued_at, message, headers FROM archived
     RETURNING msg_id',
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a')) USING msg_ids;
END $$;

CREATE OR REPLACE FUNCTION pgmq.archive(queue_name text, msg_id bigint)
RETURNS boolean LANGUAGE sql AS $$
  SELECT EXISTS (SELECT 1 FROM pgmq.archive(queue_name, ARRAY[msg_id]));
$$;

-- Moves a message's visibility to now + vt seconds (0 releases it at once).
CREATE OR REPLACE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt integer)
RETURNS SETOF pgmq.message_record LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'UPDATE pgmq.%I SET vt = clock_timestamp() + make_interval(secs => $2) WHERE msg_id = $1
     RETURNING msg_id, read_ct, enqueued_at, vt, message, headers',
    pgmq.format_table_name(queue_name, 'q')) USING msg_id, vt;
END $$;

CREATE OR REPLACE FUNCTION pgmq.purge_queue(queue_name text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('DELETE FROM pgmq.%I', pgmq.format_table_name(queue_name, 'q'));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

CREATE OR REPLACE FUNCTION pgmq.metrics(queue_name text)
RETURNS pgmq.metrics_result LANGUAGE plpgsql AS $$
DECLARE result pgmq.metrics_result;
BEGIN
  EXECUTE format(
    'SELECT $1::text, count(*)::bigint,
            extract(epoch FROM (clock_timestamp() - max(enqueued_at)))::integer,
            extract(epoch FROM (clock_timestamp() - min(enqueued_at)))::integer,
            (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM pgmq.%2$I)::bigint,
            clock_timestamp(),
            count(*) FILTER (WHERE vt <= clock_timestamp())::bigint
     FROM pgmq.%1$I',
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'q') || '_msg_id_seq')
  INTO result USING lower(queue_name);
  RETURN result;
END $$;

CREATE OR REPLACE FUNCTION pgmq.metrics_all()
RETURNS SETOF pgmq.metrics_result LANGUAGE plpgsql AS $$
DECLARE q record;
BEGIN
  FOR q IN SELECT m.queue_name FROM pgmq.meta m ORDER BY m.queue_name LOOP
    RETURN NEXT pgmq.metrics(q.queue_name);
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION pgmq.list_queues()
RETURNS SETOF pgmq.queue_record LANGUAGE sql AS $$
  SELECT queue_name, is_partitioned, is_unlogged, created_at FROM pgmq.meta ORDER BY queue_name;
$$;
