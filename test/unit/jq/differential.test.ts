/**
 * Differential test: random programs from a jq grammar, random JSON inputs, Weir's engine
 * against real jq (jq-web: jq 1.7 compiled to WebAssembly). Outputs are compared as values;
 * when jq fails, Weir must fail too (and vice versa). Differences that are known and accepted
 * are in differential-known.ts, each with its reason.
 *
 * Short by default (CI); `JQ_DIFF_RUNS=100000` for the long run, `JQ_DIFF_SEED` to replay.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { expr, freshJq, json, runJq, runWeir, sameOutcome } from './differential-gen.ts';
import { knownDifference } from './differential-known.ts';

const RUNS = Number(process.env.JQ_DIFF_RUNS ?? 300);
const SEED = process.env.JQ_DIFF_SEED === undefined ? undefined : Number(process.env.JQ_DIFF_SEED);

// ---- the property -------------------------------------------------------------------------

describe('differential: Weir jq vs jq 1.7 (jq-web)', () => {
  beforeAll(async () => {
    await freshJq();
  }, 60_000);

  it(`agrees on ${RUNS} random programs`, async () => {
    let compared = 0;
    let tolerated = 0;
    const differences: string[] = [];
    await fc.assert(
      fc.asyncProperty(expr, json, async (program, input) => {
        const text = JSON.stringify(input);
        const theirs = await runJq(program, text);
        const ours = runWeir(program, input);
        compared++;
        if (sameOutcome(ours, theirs)) return true;
        const reason = knownDifference(program, input, ours, theirs);
        if (reason) {
          tolerated++;
          return true;
        }
        differences.push(`${program}  on ${text}\n  weir: ${JSON.stringify(ours).slice(0, 300)}\n  jq:   ${JSON.stringify(theirs).slice(0, 300)}`);
        return false;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    ).catch((err: unknown) => {
      throw new Error(`${differences.slice(-1).join('\n')}\n${String(err).slice(0, 2000)}`);
    });
    console.log(`jq differential: ${compared} cases compared with jq-web, ${tolerated} known differences tolerated`);
    expect(differences).toEqual([]);
  }, Math.max(120_000, RUNS * 200));
});
