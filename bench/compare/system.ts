/**
 * What the harness needs from each system: a template database to clone, a bulk enqueue, workers
 * to start, and one SQL statement that counts finished units. Each peer file (pgboss.ts,
 * graphile.ts, dbos.ts, weir.ts) builds these; measure.ts runs them all the same way.
 */

export interface Workers {
  /** Resolves when every worker process runs (peers print `ready`). */
  ready: Promise<void>;
  /**
   * Weir: the number of replicas that must be registered in weir.replicas before the workers
   * count as ready (the progress statement's `ready` column).
   */
  replicas?: number;
  stop(): Promise<void>;
}

export interface ThroughputCase {
  id: string;
  system: string;
  /** The settings this case runs with, in the peer's own words. */
  settings: string;
  /** What one unit is. */
  unit: string;
  /** Template database (see `Template`) cloned for each run. */
  template: string;
  /** Durable steps per unit (steps/s = units/s × this). */
  steps?: number;
  /** Enqueue `count` units in bulk; no worker consumes yet. */
  enqueue(url: string, count: number): Promise<void>;
  start(url: string): Promise<Workers>;
  /** One statement returning `done`, `failed` (and for Weir `ready`) as integers; run every 50 ms. */
  progress(count: number): string;
  /** An exact `done`/`failed` count after the run, when `progress` is an approximation. */
  final?(count: number): string;
}

export interface Single {
  /** Enqueues one unit the way an application would; returns its id. */
  enqueue(i: number): Promise<string>;
  done(id: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface LatencyCase {
  id: string;
  system: string;
  settings: string;
  template: string;
  start(url: string): Promise<Workers>;
  open(url: string): Promise<Single>;
}

export interface Template {
  name: string;
  /** Builds the schema (and queues, workflow definitions) in a fresh database. */
  prepare(url: string): Promise<void>;
}
