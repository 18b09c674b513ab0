/**
 * A process's lifecycle as an explicit state machine: created → starting → running → draining →
 * stopped. An illegal move throws (a bug, not a condition to handle). Shutdown is an AbortSignal
 * that loops and servers listen to.
 */
export type Phase = 'created' | 'starting' | 'running' | 'draining' | 'stopped';

const allowed: Record<Phase, readonly Phase[]> = {
  created: ['starting', 'stopped'],
  starting: ['running', 'draining', 'stopped'],
  running: ['draining', 'stopped'],
  draining: ['stopped'],
  stopped: [],
};

export class Lifecycle {
  #phase: Phase = 'created';
  readonly #abort = new AbortController();

  get phase(): Phase {
    return this.#phase;
  }

  /** Aborted when draining begins: stop taking new work. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get accepting(): boolean {
    return this.#phase === 'running';
  }

  to(next: Phase): void {
    if (!allowed[this.#phase].includes(next)) throw new Error(`illegal lifecycle move ${this.#phase} → ${next}`);
    this.#phase = next;
    if (next === 'draining' || next === 'stopped') this.#abort.abort();
  }
}
