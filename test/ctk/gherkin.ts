/**
 * Loads the CTK's Gherkin features into plain scenarios (name, steps, doc strings) with the
 * maintained Cucumber parser — the kit asks for a real Gherkin parser, not hand parsing, and
 * pickles give us Background/Outline expansion for free if upstream ever uses them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AstBuilder, GherkinClassicTokenMatcher, Parser, compile } from '@cucumber/gherkin';
import { IdGenerator } from '@cucumber/messages';
import type { GherkinDocument } from '@cucumber/messages';

export interface ScenarioStep {
  /** The keyword as written (`Given `, `And `…), for messages only; matching uses `text`. */
  readonly keyword: string;
  readonly text: string;
  readonly docString?: { readonly content: string; readonly mediaType?: string };
  /** `file.feature:line`, so a failing step points at its source. */
  readonly location: string;
}

export interface Scenario {
  readonly feature: string;
  readonly file: string;
  readonly name: string;
  readonly steps: readonly ScenarioStep[];
}

/** Parses every `*.feature` file in `dir` (sorted, so test order is stable). */
export function loadFeatures(dir: URL): Scenario[] {
  const files = readdirSync(fileURLToPath(dir))
    .filter((f) => f.endsWith('.feature'))
    .sort();
  return files.flatMap((file) => parseFeature(readFileSync(new URL(file, dir), 'utf8'), file));
}

export function parseFeature(source: string, file: string): Scenario[] {
  const newId = IdGenerator.uuid();
  const parser = new Parser(new AstBuilder(newId), new GherkinClassicTokenMatcher());
  const document: GherkinDocument = parser.parse(source);
  const keywords = stepKeywords(document);
  const feature = document.feature?.name ?? file;
  return compile(document, file, newId).map((pickle) => ({
    feature,
    file,
    name: pickle.name,
    steps: pickle.steps.map((step) => {
      const ast = keywords.get(step.astNodeIds[0] ?? '');
      const doc = step.argument?.docString;
      return {
        keyword: ast?.keyword ?? '',
        text: step.text,
        location: `${file}:${ast?.line ?? '?'}`,
        ...(doc ? { docString: { content: doc.content, ...(doc.mediaType ? { mediaType: doc.mediaType } : {}) } } : {}),
      };
    }),
  }));
}

function stepKeywords(document: GherkinDocument): Map<string, { keyword: string; line: number }> {
  const out = new Map<string, { keyword: string; line: number }>();
  const visit = (steps: readonly { id: string; keyword: string; location: { line: number } }[]) => {
    for (const s of steps) out.set(s.id, { keyword: s.keyword, line: s.location.line });
  };
  for (const child of document.feature?.children ?? []) {
    if (child.background) visit(child.background.steps);
    if (child.scenario) visit(child.scenario.steps);
    for (const rc of child.rule?.children ?? []) {
      if (rc.background) visit(rc.background.steps);
      if (rc.scenario) visit(rc.scenario.steps);
    }
  }
  return out;
}
