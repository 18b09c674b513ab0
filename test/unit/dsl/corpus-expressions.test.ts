/**
 * Every runtime expression in the corpus compiles with Weir's jq engine (through the same
 * `checkExpression` registration uses), with the loop/catch variables of its scope declared.
 */
import { describe, expect, it } from 'vitest';
import { expressionsOf, parseDocument, validateWorkflow } from '../../../src/dsl/index.ts';
import { checkExpression } from '../../../src/expr/check.ts';
import { loadCorpus } from './corpus.ts';

describe('corpus expressions compile', () => {
  const corpus = loadCorpus().map((entry) => {
    const parsed = parseDocument(entry.text);
    if (!parsed.ok) throw new Error(entry.id);
    return { entry, doc: parsed.value };
  });

  it('finds expressions in the corpus', () => {
    const count = corpus.reduce((n, { doc }) => n + expressionsOf(doc).length, 0);
    expect(count).toBeGreaterThan(100);
  });

  it('no corpus document gains an issue from expression checking', () => {
    const failures: string[] = [];
    for (const { entry, doc } of corpus) {
      const r = validateWorkflow(doc, { checkExpression });
      if (r.ok) continue;
      for (const e of r.errors.filter((x) => x.code === 'invalid_expression')) failures.push(`${entry.id} ${e.pointer}: ${e.message}`);
    }
    expect(failures).toEqual([]);
  });
});
