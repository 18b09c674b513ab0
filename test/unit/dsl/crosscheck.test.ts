/**
 * Weir's validator against the official DSL 1.0.3 JSON schema, on a corpus of real documents (CTK
 * features, spec examples) and broken variants of each. Every disagreement on validity must be
 * explained by an entry of ALLOWED below; anything else fails with the document and both verdicts.
 */
import { Validator } from '@cfworker/json-schema';
import type { Schema } from '@cfworker/json-schema';
import { describe, expect, it } from 'vitest';
import { parseDocument, validateWorkflow } from '../../../src/dsl/index.ts';
import type { ValidationIssue } from '../../../src/dsl/index.ts';
import { loadCorpus, loadOfficialSchema } from './corpus.ts';
import { ALLOWED } from './allowlist.ts';
import type { Allowance } from './allowlist.ts';
import { mutantsOf } from './mutations.ts';

/** JSON schema rejects, Weir accepts: none allowed. */
const ALLOWED_LENIENT: Array<{ match: RegExp; reason: string }> = [];

const validator = new Validator(loadOfficialSchema() as Schema, '2020-12', false);

function explained(issue: ValidationIssue): Allowance | undefined {
  return ALLOWED.find((a) => a.code === issue.code && (!a.pointer || a.pointer.test(issue.pointer)));
}

type Verdict = { id: string; official: boolean; weir: boolean; disagreement?: string; allowedBy: string[] };

function compare(id: string, doc: unknown): Verdict {
  const official = validator.validate(doc);
  const weir = validateWorkflow(doc);
  const verdict: Verdict = { id, official: official.valid, weir: weir.ok, allowedBy: [] };
  if (official.valid && !weir.ok) {
    const unexplained = weir.errors.filter((e) => !explained(e));
    if (unexplained.length) verdict.disagreement = `official schema accepts; Weir rejects with ${JSON.stringify(unexplained)}`;
    else verdict.allowedBy = [...new Set(weir.errors.map((e) => explained(e)!.code))];
  } else if (!official.valid && weir.ok) {
    const errors = official.errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'allOf' && e.keyword !== '$ref');
    const first = (errors[errors.length - 1] ?? official.errors[0])!;
    const summary = `${first.instanceLocation} ${first.keywordLocation}: ${first.error}`;
    if (!ALLOWED_LENIENT.some((a) => a.match.test(summary))) verdict.disagreement = `official schema rejects (${summary}); Weir accepts`;
  }
  return verdict;
}

const corpus = loadCorpus();

describe('corpus cross-check: Weir validator vs the official JSON schema', () => {
  const verdicts: Verdict[] = [];
  const originals = corpus.map((entry) => {
    const parsed = parseDocument(entry.text);
    if (!parsed.ok) throw new Error(`${entry.id}: ${JSON.stringify(parsed.errors)}`);
    return { entry, doc: parsed.value };
  });

  it('extracts every CTK workflow and the whole-workflow spec examples', () => {
    expect(corpus.filter((e) => e.origin === 'ctk')).toHaveLength(21);
    expect(corpus.filter((e) => e.origin === 'spec').length).toBeGreaterThanOrEqual(40);
  });

  it('the official schema accepts every corpus document (the corpus is sound)', () => {
    const rejected = originals.filter(({ doc }) => !validator.validate(doc).valid).map(({ entry }) => entry.id);
    expect(rejected).toEqual([]);
  });

  it("Weir accepts every CTK document and its own corpus (test/unit/dsl/corpus/)", () => {
    const rejected = originals
      .filter(({ entry }) => entry.origin === 'ctk' || entry.origin === 'weir')
      .map(({ entry, doc }) => ({ id: entry.id, r: validateWorkflow(doc) }))
      .filter(({ r }) => !r.ok);
    expect(rejected).toEqual([]);
  });

  it('agrees on every original document, except allow-listed disagreements', () => {
    for (const { entry, doc } of originals) verdicts.push(compare(entry.id, doc));
    expect(verdicts.filter((v) => v.disagreement)).toEqual([]);
  });

  it('agrees on every broken variant, except allow-listed disagreements', () => {
    const mutantVerdicts: Verdict[] = [];
    for (const { entry, doc } of originals) {
      for (const m of mutantsOf(doc)) mutantVerdicts.push(compare(`${entry.id} [${m.name} @ ${m.pointer || '/'}]`, m.doc));
    }
    verdicts.push(...mutantVerdicts);
    expect(mutantVerdicts.length).toBeGreaterThan(1000);
    expect(mutantVerdicts.filter((v) => v.disagreement)).toEqual([]);
  });

  it('every allow-list entry is still needed', () => {
    const used = new Set(verdicts.flatMap((v) => v.allowedBy));
    // Rules exercised by the corpus must stay exercised: if one stops being hit, the allow-list is stale.
    for (const a of ALLOWED) expect(used, `allow-list entry '${a.code}' is never needed`).toContain(a.code);
    const agreements = verdicts.filter((v) => !v.disagreement && v.official === v.weir).length;
    const allowed = verdicts.filter((v) => v.allowedBy.length > 0).length;
    console.info(`[dsl crosscheck] ${verdicts.length} documents (${corpus.length} originals): ${agreements} agree, ${allowed} allow-listed disagreements (${[...used].join(', ')})`);
  });
});
