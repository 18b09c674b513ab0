/**
 * Random documents with one injected mistake (or none), built from pools of valid and invalid
 * fragments for every task kind and field, validated by Weir and by the official JSON schema: they must agree on validity, up to the same
 * allow-list as the corpus cross-check. Finds the corners hand-written mutations miss.
 */
import { Validator } from '@cfworker/json-schema';
import type { Schema } from '@cfworker/json-schema';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateWorkflow } from '../../../src/dsl/index.ts';
import { loadOfficialSchema } from './corpus.ts';
import { documentWithOneMistake, mistakeSites } from './fuzz.ts';
import { ALLOWED } from './allowlist.ts';

const validator = new Validator(loadOfficialSchema() as Schema, '2020-12', false);

describe('fuzzed cross-check: Weir validator vs the official JSON schema', () => {
  it('agree on validity of random documents, up to the allow-list', () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(documentWithOneMistake, ({ doc }) => {
        const official = validator.validate(doc).valid;
        const weir = validateWorkflow(doc);
        if (official === weir.ok) {
          if (official) valid++;
          else invalid++;
          return;
        }
        if (official && !weir.ok) {
          const unexplained = weir.errors.filter((e) => !ALLOWED.some((a) => a.code === e.code && (!a.pointer || a.pointer.test(e.pointer))));
          expect(unexplained, JSON.stringify(doc)).toEqual([]);
          return;
        }
        expect.fail(`official schema rejects, Weir accepts: ${JSON.stringify(doc)}\n${JSON.stringify(validator.validate(doc).errors.slice(-3))}`);
      }),
      { numRuns: Number(process.env.WEIR_FUZZ_RUNS ?? 600), ...(process.env.WEIR_FUZZ_SEED === 'random' ? {} : { seed: Number(process.env.WEIR_FUZZ_SEED ?? 20261123) }) },
    );
    console.info(`[dsl fuzz] ${valid} valid and ${invalid} invalid random documents agreed on`);
    expect(mistakeSites).toBeGreaterThan(80);
    expect(valid).toBeGreaterThan(20);
    expect(invalid).toBeGreaterThan(20);
  });
});
