/**
 * Pulls the workflow examples out of the spec's Markdown (`dsl-reference.md`, `dsl.md`): every
 * ```yaml block that mentions `document:`. Each gets a stable id from its nearest meaningful heading
 * and its position under it (`dsl-reference#http-call/0`), so the expectations table survives edits
 * elsewhere in the spec and a new example shows up as "no expectation" instead of silently passing.
 */
import { readFileSync } from 'node:fs';

export interface SpecExample {
  /** `<file stem>#<heading slug>/<index under that heading>` */
  readonly id: string;
  readonly file: string;
  /** 1-based line of the first YAML line. */
  readonly line: number;
  /** Heading trail, outermost first. */
  readonly headings: readonly string[];
  readonly yaml: string;
}

/** Headings that only group content; the example is named after the heading above them. */
const GENERIC = new Set(['examples', 'properties', 'example']);

export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export function extractExamples(markdown: string, file: string): SpecExample[] {
  const stem = file.replace(/\.md$/, '');
  const lines = markdown.split('\n');
  const out: SpecExample[] = [];
  const perHeading = new Map<string, number>();
  let headings: string[] = [];
  let fence: { lang: string; start: number; body: string[] } | undefined;
  lines.forEach((line, i) => {
    if (fence) {
      if (/^```\s*$/.test(line)) {
        const yaml = fence.body.join('\n');
        if (fence.lang === 'yaml' && /\bdocument:/.test(yaml)) {
          const named = [...headings].reverse().find((h) => h && !GENERIC.has(h.toLowerCase())) ?? stem;
          const base = `${stem}#${slug(named)}`;
          const index = perHeading.get(base) ?? 0;
          perHeading.set(base, index + 1);
          out.push({ id: `${base}/${index}`, file, line: fence.start + 1, headings: headings.filter(Boolean), yaml });
        }
        fence = undefined;
      } else fence.body.push(line);
      return;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*$/.exec(line);
    if (heading) {
      const depth = (heading[1] ?? '#').length;
      headings = headings.slice(0, depth - 1);
      headings[depth - 1] = heading[2] ?? '';
      return;
    }
    const open = /^```(\w*)/.exec(line);
    if (open) fence = { lang: open[1] ?? '', start: i + 1, body: [] };
  });
  return out;
}

/** The examples of `dsl-reference.md` and `dsl.md` in `specDir`, in document order. */
export function loadSpecExamples(specDir: URL): SpecExample[] {
  return ['dsl-reference.md', 'dsl.md'].flatMap((f) => extractExamples(readFileSync(new URL(f, specDir), 'utf8'), f));
}
