/**
 * A counting semaphore in front of the connection pool: at most `limit` statements or
 * transactions hold a connection at once. The connection-budget guard moves the limit as replicas
 * come and go; waiters are served first-in, first-out.
 */
export class Gate {
  #limit: number;
  #inUse = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  get inUse(): number {
    return this.#inUse;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  setLimit(limit: number): void {
    this.#limit = Math.max(0, limit);
    this.#dispatch();
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await fn();
    } finally {
      this.#inUse--;
      this.#dispatch();
    }
  }

  #acquire(): Promise<void> {
    if (this.#inUse < this.#limit && this.#waiters.length === 0) {
      this.#inUse++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #dispatch(): void {
    while (this.#inUse < this.#limit && this.#waiters.length) {
      this.#inUse++;
      this.#waiters.shift()!();
    }
  }
}
