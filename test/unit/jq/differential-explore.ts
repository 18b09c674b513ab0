/** Prints every difference (not only the first) between Weir and jq-web: `npx tsx test/unit/jq/differential-explore.ts [cases] [seed]`. */
import fc from 'fast-check';
import { expr, freshJq, json, runJq, runWeir, sameOutcome } from './differential-gen.ts';
import { knownDifference } from './differential-known.ts';
await freshJq();
const n = Number(process.argv[2] ?? 500);
const samples = fc.sample(fc.tuple(expr, json), { numRuns: n, seed: Number(process.argv[3] ?? Date.now() % 100000) });
let diffs = 0;
let done = 0;
for (const [program, input] of samples) {
  if (++done % 100 === 0) console.error(`${done} cases`);
  const theirs = await runJq(program, JSON.stringify(input));
  const ours = runWeir(program, input);
  if (sameOutcome(ours, theirs) || knownDifference(program, input, ours, theirs)) continue;
  diffs++;
  console.log(`${program}  on ${JSON.stringify(input)}\n  weir: ${JSON.stringify(ours).slice(0, 250)}\n  jq:   ${JSON.stringify(theirs).slice(0, 250)}`);
}
console.log(`${diffs} differences in ${n}`);
