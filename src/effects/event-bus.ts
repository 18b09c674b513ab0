/**
 * In-memory CloudEvent bus for local runs: `emit` effects publish, `listen` subscriptions receive
 * every event published while they are open (the engine applies the filters). Parent and child
 * runs share one bus.
 */
import type { CloudEvent } from '../engine/types.ts';

export class EventBus {
  readonly #subscribers = new Map<string, (event: CloudEvent) => void>();
  /** Every event published, in order (for inspection in tests). */
  readonly published: CloudEvent[] = [];

  subscribe(key: string, deliver: (event: CloudEvent) => void): void {
    this.#subscribers.set(key, deliver);
  }

  unsubscribe(key: string): void {
    this.#subscribers.delete(key);
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  publish(event: CloudEvent): void {
    this.published.push(event);
    for (const deliver of [...this.#subscribers.values()]) deliver(event);
  }
}
