-- Owns the database clock: `weir.now()` is the only clock Weir uses for durable time (timers,
-- leases, schedules, heartbeats). Tests move it through the one-row table `weir.clock`
-- (`fake_now` pins it, `offset_interval` shifts it); a row is visible to every process, which a
-- per-session setting would not be. Idempotent.

CREATE SCHEMA IF NOT EXISTS weir;

CREATE TABLE IF NOT EXISTS weir.clock (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  offset_interval interval NOT NULL DEFAULT '0',
  fake_now timestamptz
);
INSERT INTO weir.clock (id) VALUES (true) ON CONFLICT (id) DO NOTHING;

-- plpgsql, not sql: a (volatile, so never inlined) sql function's body is parsed and planned again
-- in every statement that calls it, while plpgsql keeps the plan for the session — ~40 µs less per
-- statement, and the runner's read, checkpoint and start each call it (measured with a prepared
-- `SELECT weir.now()`: 102-148 µs as sql, 64-106 µs as plpgsql).
CREATE OR REPLACE FUNCTION weir.now()
RETURNS timestamptz LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RETURN (SELECT coalesce(c.fake_now, clock_timestamp() + c.offset_interval) FROM weir.clock c WHERE c.id);
END $$;

-- Pins the clock at `at` (tests); NULL unpins it.
CREATE OR REPLACE FUNCTION weir.set_fake_now(at timestamptz)
RETURNS timestamptz LANGUAGE sql AS $$
  UPDATE weir.clock SET fake_now = at WHERE id;
  SELECT weir.now();
$$;

-- Moves the clock forward by `by`, pinned or not.
CREATE OR REPLACE FUNCTION weir.advance_clock(by interval)
RETURNS timestamptz LANGUAGE sql AS $$
  UPDATE weir.clock
  SET fake_now = CASE WHEN fake_now IS NULL THEN NULL ELSE fake_now + by END,
      offset_interval = CASE WHEN fake_now IS NULL THEN offset_interval + by ELSE offset_interval END
  WHERE id;
  SELECT weir.now();
$$;

CREATE OR REPLACE FUNCTION weir.reset_clock()
RETURNS timestamptz LANGUAGE sql AS $$
  UPDATE weir.clock SET fake_now = NULL, offset_interval = '0' WHERE id;
  SELECT weir.now();
$$;
