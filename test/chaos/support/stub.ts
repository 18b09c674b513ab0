/**
 * The side-effect counter: a local HTTP stub (test/support/stub-server.ts) that workflows call.
 * An *effect* is a 2xx answer — what a real downstream would have acted on. Effects are counted per
 * instance (the `n` in the body) and per Idempotency-Key, so duplicates (at-least-once HTTP after a
 * crash) are told apart from losses. `failFirst(n)` answers 503 to an instance's first attempt,
 * which exercises the workflow's retry (no effect).
 */
import { startStub, type Stub } from '../../support/stub-server.ts';

export interface EffectStub {
  url: string;
  stub: Stub;
  /** Effects per instance `n`. */
  effects: Map<number, number>;
  /** Effects per Idempotency-Key. */
  byKey: Map<string, number>;
  /** Idempotency-Keys of each instance's effects, in order (a duplicate under a new key shows here). */
  keysByN: Map<number, string[]>;
  /** 503s answered (attempts the workflow retried). */
  refused: number;
  /** Changes how long each answer takes from now on. */
  setDelay(ms: number): void;
  /** Effects beyond the first, summed over instances. */
  duplicates(): number;
  close(): Promise<void>;
}

export async function startEffectStub(options: { failFirst?: (n: number) => boolean; delayMs?: number } = {}): Promise<EffectStub> {
  const effects = new Map<number, number>();
  const byKey = new Map<string, number>();
  const keysByN = new Map<number, string[]>();
  const attempts = new Map<number, number>();
  const out = { refused: 0 } as EffectStub;
  let delayMs = options.delayMs ?? 0;
  const stub = await startStub((r) => {
    const n = Number((JSON.parse(r.body || '{}') as { n?: unknown }).n);
    const attempt = (attempts.get(n) ?? 0) + 1;
    attempts.set(n, attempt);
    if (attempt === 1 && options.failFirst?.(n)) {
      out.refused++;
      return { status: 503, body: { busy: true }, ...(delayMs ? { delayMs } : {}) };
    }
    effects.set(n, (effects.get(n) ?? 0) + 1);
    const key = r.idempotencyKey ?? 'none';
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
    keysByN.set(n, [...(keysByN.get(n) ?? []), key]);
    return { body: { n, effect: effects.get(n) }, ...(delayMs ? { delayMs } : {}) };
  });
  return Object.assign(out, {
    url: stub.url,
    stub,
    effects,
    byKey,
    keysByN,
    setDelay: (ms: number) => void (delayMs = ms),
    duplicates: () => [...effects.values()].reduce((a, k) => a + Math.max(0, k - 1), 0),
    close: () => stub.close(),
  });
}
