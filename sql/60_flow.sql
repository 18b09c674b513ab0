-- Flow control in Postgres (runner/flow.ts): concurrency slots, task rate limits, priority reads
-- and deferred messages. Runs after the drizzle migrations (weir.instances, weir.slots,
-- weir.rate_limits exist). Idempotent.

-- Concurrency: an instance that ends releases its slot in the same transaction and the oldest
-- `queued` instance of the scope (FIFO by id) takes it and gets its `start` message. Starts and
-- releases of one scope serialise on a transaction advisory lock, so a start never queues behind a
-- slot that a concurrent end is freeing without that end seeing it.
CREATE OR REPLACE FUNCTION weir.slot_lock(scope text)
RETURNS void LANGUAGE sql AS $$
  SELECT pg_advisory_xact_lock(hashtextextended('weir.slot:' || scope, 0));
$$;

-- Gives free slots of `scope` to its queued instances, oldest first; returns how many started.
-- A queued instance with a state is one retried from its failed task (runner/retry.ts): it gets
-- a `retry` message, not a `start` (its state would make a start stale).
CREATE OR REPLACE FUNCTION weir.promote_queued(scope text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  nxt record;
  used integer;
  started integer := 0;
BEGIN
  PERFORM weir.slot_lock(scope);
  LOOP
    SELECT i.id, i.queue, i.priority, i.state IS NOT NULL AS retried, greatest(coalesce((w.options->'concurrency'->>'limit')::int, 1), 1) AS lim
      INTO nxt
      FROM weir.instances i
      LEFT JOIN weir.workflows w ON w.namespace = i.namespace AND w.name = i.workflow_name AND w.version = i.workflow_version
     WHERE i.slot_scope = promote_queued.scope AND i.status = 'queued'
     ORDER BY i.id LIMIT 1
     FOR UPDATE OF i SKIP LOCKED;
    EXIT WHEN NOT FOUND;
    SELECT count(*) INTO used FROM weir.slots s WHERE s.scope = promote_queued.scope;
    EXIT WHEN used >= nxt.lim;
    INSERT INTO weir.slots (instance_id, scope, acquired_at) VALUES (nxt.id, promote_queued.scope, weir.now());
    UPDATE weir.instances SET status = CASE WHEN nxt.retried THEN 'running' ELSE 'pending' END, updated_at = weir.now() WHERE id = nxt.id;
    PERFORM pgmq.send(nxt.queue, jsonb_build_object('instance', nxt.id, 'kind', CASE WHEN nxt.retried THEN 'retry' ELSE 'start' END, 'target', nxt.id),
                      CASE WHEN nxt.priority > 0 THEN jsonb_build_object('priority', nxt.priority) END, 0);
    PERFORM pg_notify('weir_wake', nxt.queue);
    started := started + 1;
  END LOOP;
  RETURN started;
END $$;

CREATE OR REPLACE FUNCTION weir.release_slot()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM weir.slot_lock(NEW.slot_scope);
  DELETE FROM weir.slots WHERE instance_id = NEW.id;
  PERFORM weir.promote_queued(NEW.slot_scope);
  RETURN NULL;
END $$;

-- CREATE OR REPLACE (PostgreSQL 14+), not DROP and CREATE: DROP TRIGGER takes an ACCESS EXCLUSIVE
-- lock on weir.instances for the rest of this install's transaction, which then locks every
-- queue table (the priority indexes below) — the reverse of the runner's read, which holds its
-- queue table and reads weir.instances: a newer version's install deadlocked a running replica's
-- read (test/chaos/upgrade.test.ts). This takes SHARE ROW EXCLUSIVE, which reads do not wait for.
CREATE OR REPLACE TRIGGER instances_release_slot
  AFTER UPDATE OF status ON weir.instances
  FOR EACH ROW
  WHEN (NEW.slot_scope IS NOT NULL AND NEW.status IN ('completed', 'faulted', 'cancelled') AND OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION weir.release_slot();

-- Task rate limits: one token bucket per key in weir.rate_limits (`task:<key>`), `limits[i]`
-- tokens per `periods_ms[i]`, capacity `limits[i]`, refilled from the real clock (rate limits
-- protect real systems; the test clock does not move them). All or nothing, rows locked in key
-- order (no deadlock):
-- - every key has a token: one is taken from each; wait_ms = 0.
-- - else, when the scarcest key has one within `max_wait_ms`: the tokens are *reserved* (the
--   buckets go into debt) and wait_ms says when they are due; the caller comes back then and
--   calls without taking again (reserved = true). Reservations queue callers in token order, so
--   contention costs no retries.
-- - else nothing is taken (reserved = false): come back after wait_ms and try again.
DROP FUNCTION IF EXISTS weir.take_tokens(text[], float8[], float8[]);
CREATE OR REPLACE FUNCTION weir.take_tokens(keys text[], limits float8[], periods_ms float8[], max_wait_ms float8,
                                            OUT wait_ms float8, OUT reserved boolean)
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  wait_ms := 0;
  reserved := false;
  INSERT INTO weir.rate_limits (key, tokens, updated_at)
  SELECT DISTINCT ON (k.key) k.key, k.lim, clock_timestamp()
    FROM unnest(keys, limits) AS k(key, lim)
  ON CONFLICT (key) DO NOTHING;
  FOR r IN
    SELECT b.key, b.need, b.lim, b.period,
           least(b.lim, rl.tokens + extract(epoch FROM clock_timestamp() - rl.updated_at) * 1000 * b.lim / b.period) AS available
      FROM (SELECT k.key, count(*)::float8 AS need, min(k.lim) AS lim, max(k.period) AS period
              FROM unnest(keys, limits, periods_ms) AS k(key, lim, period) GROUP BY k.key) b
      JOIN weir.rate_limits rl ON rl.key = b.key
     ORDER BY b.key
     FOR UPDATE OF rl
  LOOP
    IF r.available < r.need THEN
      wait_ms := greatest(wait_ms, (r.need - r.available) * r.period / r.lim);
    END IF;
  END LOOP;
  wait_ms := ceil(wait_ms);
  IF wait_ms > max_wait_ms THEN
    RETURN;
  END IF;
  reserved := wait_ms > 0;
  UPDATE weir.rate_limits rl
     SET tokens = least(b.lim, rl.tokens + extract(epoch FROM clock_timestamp() - rl.updated_at) * 1000 * b.lim / b.period) - b.need,
         updated_at = clock_timestamp()
    FROM (SELECT k.key, count(*)::float8 AS need, min(k.lim) AS lim, max(k.period) AS period
            FROM unnest(keys, limits, periods_ms) AS k(key, lim, period) GROUP BY k.key) b
   WHERE rl.key = b.key;
END $$;

-- Hands a message back for `delay_ms` without counting the delivery (a rate-limited activation
-- is not a failed one: it must not creep toward WEIR_MAX_DELIVERIES), merging `patch` into its
-- body (a rate-limit reservation it will use when it comes back).
DROP FUNCTION IF EXISTS weir.defer_message(text, bigint, integer);
CREATE OR REPLACE FUNCTION weir.defer_message(queue_name text, id bigint, delay_ms integer, patch jsonb DEFAULT '{}')
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
  EXECUTE format('UPDATE pgmq.%I SET vt = clock_timestamp() + make_interval(secs => $2 / 1000.0), read_ct = greatest(read_ct - 1, 0),
                                    message = message || $3 WHERE msg_id = $1',
                 pgmq.format_table_name(queue_name, 'q')) USING id, greatest(delay_ms, 0), coalesce(patch, '{}'::jsonb);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n > 0;
END $$;

-- Priorities: a message with a `priority` header (1-9; 0 sends none) is read before older
-- messages of lower priority, except that `fifo` of every `qty` read are taken oldest-first
-- whatever their priority, so low-priority work keeps a guaranteed share. A partial index per
-- queue holds only prioritised messages: queues without priorities pay nothing.
CREATE OR REPLACE FUNCTION weir.read(queue_name text, vt integer, qty integer, fifo integer)
RETURNS SETOF pgmq.message_record LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH p AS (
       SELECT msg_id FROM pgmq.%1$I
       WHERE headers ? ''priority'' AND vt <= clock_timestamp()
       ORDER BY (headers->>''priority'') DESC, msg_id ASC
       LIMIT greatest($1 - $3, 0)
       FOR UPDATE SKIP LOCKED
     ), f AS (
       SELECT msg_id FROM pgmq.%1$I
       WHERE vt <= clock_timestamp() AND msg_id NOT IN (SELECT msg_id FROM p)
       ORDER BY msg_id ASC
       LIMIT $1 - (SELECT count(*) FROM p)
       FOR UPDATE SKIP LOCKED
     ), c AS (SELECT msg_id FROM p UNION ALL SELECT msg_id FROM f)
     UPDATE pgmq.%1$I m
     SET vt = clock_timestamp() + make_interval(secs => $2), read_ct = m.read_ct + 1
     FROM c WHERE m.msg_id = c.msg_id
     RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message, m.headers',
    pgmq.format_table_name(queue_name, 'q')) USING qty, vt, greatest(fifo, 0);
END $$;

-- Reads the given messages (those still visible, skipping locked ones) like weir.read: a replica
-- takes back the fork-branch messages it has just sent when it has free slots (runner.ts).
CREATE OR REPLACE FUNCTION weir.read_ids(queue_name text, vt integer, ids bigint[])
RETURNS SETOF pgmq.message_record LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH c AS (
       SELECT msg_id FROM pgmq.%1$I
       WHERE msg_id = ANY($1) AND vt <= clock_timestamp()
       FOR UPDATE SKIP LOCKED
     )
     UPDATE pgmq.%1$I m
     SET vt = clock_timestamp() + make_interval(secs => $2), read_ct = m.read_ct + 1
     FROM c WHERE m.msg_id = c.msg_id
     RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message, m.headers',
    pgmq.format_table_name(queue_name, 'q')) USING ids, vt;
END $$;

CREATE OR REPLACE FUNCTION weir.ensure_priority_index(queue_name text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE qtable text := pgmq.format_table_name(queue_name, 'q');
BEGIN
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON pgmq.%I ((headers->>''priority'') DESC, msg_id) WHERE headers ? ''priority''',
                 qtable || '_priority_idx', qtable);
END $$;

CREATE OR REPLACE FUNCTION weir.on_queue_created()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM weir.ensure_priority_index(NEW.queue_name);
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER meta_priority_index AFTER INSERT ON pgmq.meta FOR EACH ROW EXECUTE FUNCTION weir.on_queue_created();

DO $$
DECLARE q record;
BEGIN
  FOR q IN SELECT queue_name FROM pgmq.meta LOOP
    PERFORM weir.ensure_priority_index(q.queue_name);
  END LOOP;
END $$;
