/**
 * Short form (CI, every `npm test`) or long form (`WEIR_CHAOS=long npm run test:chaos`): the same
 * properties, more runs and bigger inputs. fast-check seeds are random; a failure prints its seed
 * and path (`fc.assert(…, { seed, path })` replays it).
 */
export const LONG = process.env.WEIR_CHAOS === 'long';

/** Runs per property: `short` in CI (each file well under 20 s), `long` under WEIR_CHAOS=long. */
export const runs = (short: number, long: number): number => (LONG ? long : short);

/** Rejects when `promise` takes longer than `ms`: a hang fails the property instead of the file. */
export async function within<T>(ms: number, what: string, promise: T | Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms (a hang)`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(promise), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
