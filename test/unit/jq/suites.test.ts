/**
 * jq's own test files against Weir's engine. Every case is a test; a case that fails must be in
 * skip-list.ts with a reason, and a listed case that passes again makes the list stale (also a
 * failure), so the list stays exact. Pass counts are printed per file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SKIPS } from './skip-list.ts';
import { readSuite, runCase, type SuiteCase } from './suite-file.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const suiteDir = join(repoRoot, '../shared/jq/');

/** Files held to a pass rate and to the skip list; `jq.test` (1.8 additions) is a stretch, reported only. */
const TARGETS: Record<string, number> = {
  'jq-1.7.1.test': 0.97,
  'man.test': 0.95,
  'onig.test': 0.95,
  'base64.test': 0.9,
  'uri.test': 0.9,
  'optional.test': 0.5,
};
const REPORTED = ['jq.test'];
/** jq.test floor: the count when this harness was written; raise it as the engine improves. */
const REPORTED_FLOOR: Record<string, number> = { 'jq.test': 485 };

const summary: string[] = [];
afterAll(() => {
  console.log(summary.join('\n'));
});

function caseName(file: string, c: SuiteCase): string {
  return `${file}:${c.line} ${c.fail ? '%%FAIL ' : ''}${c.program.length > 90 ? c.program.slice(0, 87) + '...' : c.program}`;
}

function skipReason(file: string, c: SuiteCase): string | undefined {
  const list = SKIPS[file] ?? {};
  return list[`${c.program}\n${c.input}`] ?? list[c.program];
}

for (const file of [...Object.keys(TARGETS), ...REPORTED]) {
  const path = join(suiteDir, file);
  describe.skipIf(!existsSync(path))(file, () => {
    const cases = existsSync(path) ? readSuite(readFileSync(path, 'utf8')) : [];
    const results = cases.map((c) => runCase(c));
    const passed = results.filter((r) => r === null).length;
    const plain = cases.filter((c) => !c.fail);
    const plainPassed = cases.filter((c, k) => !c.fail && results[k] === null).length;
    summary.push(`${file}: ${passed}/${cases.length} (without %%FAIL groups: ${plainPassed}/${plain.length})`);

    if (file in TARGETS) {
      cases.forEach((c, k) => {
        const reason = skipReason(file, c);
        it(caseName(file, c), () => {
          if (reason !== undefined) {
            expect(results[k], `stale skip-list entry (${reason}): the case passes now`).not.toBeNull();
          } else {
            expect(results[k], results[k] ?? '').toBeNull();
          }
        });
      });
      it(`pass rate ≥ ${TARGETS[file] * 100}%`, () => {
        expect(passed / cases.length).toBeGreaterThanOrEqual(TARGETS[file]);
      });
    } else {
      it(`reports ${file} (no regression below ${REPORTED_FLOOR[file]})`, () => {
        const failures = cases.map((c, k) => (results[k] === null ? null : `${caseName(file, c)}: ${results[k]}`)).filter(Boolean);
        if (process.env.JQ_SUITE_VERBOSE) console.log(failures.join('\n'));
        expect(passed).toBeGreaterThanOrEqual(REPORTED_FLOOR[file]);
      });
    }
  });
}
