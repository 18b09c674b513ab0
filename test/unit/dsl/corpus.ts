/**
 * The corpus of real workflow documents Weir is checked against: every `Given a workflow with
 * definition:` doc string of the CTK features, and every YAML example in the DSL spec
 * (`dsl.md`, `dsl-reference.md`) that is a whole workflow (top-level `document` and `do`).
 * Shared with the conformance harness (test/ctk/), hence exported.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { AstBuilder, GherkinClassicTokenMatcher, Parser } from '@cucumber/gherkin';
import { IdGenerator } from '@cucumber/messages';
import { parse as parseYaml } from 'yaml';

export const SHARED_DIR = new URL('../../../../shared/', import.meta.url);
export const FEATURES_DIR = new URL('ctk/features/', SHARED_DIR);
export const SPEC_DIR = new URL('spec/', SHARED_DIR);
export const SCHEMA_FILE = new URL('spec/schema/workflow.yaml', SHARED_DIR);

export type CorpusEntry = {
  /** Stable, readable id: `ctk/switch.feature#Switch task with matching case`, `spec/dsl-reference.md:162`. */
  id: string;
  origin: 'ctk' | 'spec' | 'weir';
  /** File the document comes from, relative to shared/ (or to this folder for origin `weir`). */
  file: string;
  /** 1-based line of the document's first line in `file`. */
  line: number;
  /** The YAML text as written. */
  text: string;
};

export type FeatureScenario = {
  feature: string;
  name: string;
  line: number;
  /** Doc strings of the scenario's steps, keyed by step text (`a workflow with definition:` …). */
  steps: Array<{ keyword: string; text: string; docString?: string; docStringLine?: number }>;
};

/** All scenarios of the CTK features, parsed with the Gherkin reference parser. */
export function loadFeatureScenarios(): FeatureScenario[] {
  const out: FeatureScenario[] = [];
  for (const file of readdirSync(FEATURES_DIR).filter((f) => f.endsWith('.feature')).sort()) {
    const parser = new Parser(new AstBuilder(IdGenerator.incrementing()), new GherkinClassicTokenMatcher());
    const doc = parser.parse(readFileSync(new URL(file, FEATURES_DIR), 'utf8'));
    for (const child of doc.feature?.children ?? []) {
      const scenario = child.scenario;
      if (!scenario) continue;
      out.push({
        feature: file,
        name: scenario.name,
        line: scenario.location.line,
        steps: scenario.steps.map((s) => ({
          keyword: s.keyword.trim(),
          text: s.text,
          ...(s.docString ? { docString: s.docString.content, docStringLine: s.docString.location.line + 1 } : {}),
        })),
      });
    }
  }
  return out;
}

export function ctkDocuments(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const s of loadFeatureScenarios()) {
    for (const step of s.steps) {
      if (step.text === 'a workflow with definition:' && step.docString !== undefined) {
        out.push({ id: `ctk/${s.feature}#${s.name}`, origin: 'ctk', file: `ctk/features/${s.feature}`, line: step.docStringLine ?? s.line, text: step.docString });
      }
    }
  }
  return out;
}

/** Fenced ```yaml blocks of a markdown file that parse to `{ document, do, … }`. */
export function specDocuments(file: 'dsl.md' | 'dsl-reference.md'): CorpusEntry[] {
  const lines = readFileSync(new URL(file, SPEC_DIR), 'utf8').split('\n');
  const out: CorpusEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    const text = lines.slice(start, end).join('\n') + '\n';
    i = end;
    let value: unknown;
    try {
      value = parseYaml(text, { version: '1.2', schema: 'core' });
    } catch {
      continue; // fragments with placeholders; not whole documents
    }
    if (value && typeof value === 'object' && !Array.isArray(value) && 'document' in value && 'do' in value) {
      out.push({ id: `spec/${file}:${start + 1}`, origin: 'spec', file: `spec/${file}`, line: start + 1, text });
    }
  }
  return out;
}

const WEIR_CORPUS_DIR = new URL('./corpus/', import.meta.url);

/** Weir's own hand-written documents (`test/unit/dsl/corpus/*.yaml`): constructs the examples miss. */
export function weirDocuments(): CorpusEntry[] {
  return readdirSync(WEIR_CORPUS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ id: `weir/${f}`, origin: 'weir' as const, file: `corpus/${f}`, line: 1, text: readFileSync(new URL(f, WEIR_CORPUS_DIR), 'utf8') }));
}

/** The whole corpus: CTK features first, then the spec examples, then Weir's own documents. */
export function loadCorpus(): CorpusEntry[] {
  return [...ctkDocuments(), ...specDocuments('dsl.md'), ...specDocuments('dsl-reference.md'), ...weirDocuments()];
}

/** The official DSL 1.0.3 JSON schema (draft 2020-12), as data. */
export function loadOfficialSchema(): Record<string, unknown> {
  return parseYaml(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
}
