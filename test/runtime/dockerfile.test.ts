/**
 * The container image without a container engine: the Dockerfile is parsed (dockerfile-ast) and
 * checked for what the image promises — stages, a non-root user, no dev dependencies in the final
 * stage, a liveness HEALTHCHECK, STOPSIGNAL SIGTERM, `weir serve` by default — and every RUN line
 * is a step of scripts/build-image-steps.sh, which this file then runs outside Docker: compile,
 * production-only install, and the runtime stage's verification on the assembled tree.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { afterAll, describe, expect, test } from 'vitest';
import { repo } from './_support.ts';

const dockerfile = DockerfileParser.parse(readFileSync(join(repo, 'Dockerfile'), 'utf8'));
const instructions = dockerfile.getInstructions();
const text = (i: Instruction) => i.getTextContent();
/** Instructions grouped by the stage they belong to, by stage name. */
const stages = new Map<string, Instruction[]>();
let current = '';
for (const i of instructions) {
  if (i.getKeyword() === 'FROM') {
    current = dockerfile.getFROMs().find((f) => f.getRange().start.line === i.getRange().start.line)?.getBuildStage() ?? '';
    stages.set(current, []);
  }
  stages.get(current)?.push(i);
}
const final = stages.get([...stages.keys()].at(-1)!)!;
const of = (stage: Instruction[], keyword: string) => stage.filter((i) => i.getKeyword() === keyword);

describe('Dockerfile', () => {
  test('has the build, deps and runtime stages, runtime last, all on one slim Node base', () => {
    expect([...stages.keys()]).toEqual(['build', 'deps', 'runtime']);
    for (const f of dockerfile.getFROMs()) expect(f.getImage()).toMatch(/^node:\d+-[a-z]+-slim$/);
  });

  test('the final stage runs as a non-root user', () => {
    const users = of(final, 'USER').map((u) => u.getArgumentsContent()?.trim());
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  test('the final stage takes dependencies from the production-only stage and compiled code from the build stage', () => {
    const copies = of(final, 'COPY').map(text);
    expect(copies.some((c) => /--from=deps\s+\/app\/node_modules/.test(c))).toBe(true);
    expect(copies.some((c) => /--from=build\s+\/app\/dist/.test(c))).toBe(true);
    expect(copies.some((c) => /--from=build\s+\/app\/node_modules/.test(c))).toBe(false);
    expect(copies.some((c) => /COPY\s+src\b/.test(c))).toBe(false);
    expect(of(stages.get('deps')!, 'RUN').map(text).join('\n')).toMatch(/install-prod/);
  });

  test('liveness HEALTHCHECK, STOPSIGNAL SIGTERM, and `weir serve` by default', () => {
    expect(of(final, 'HEALTHCHECK').map(text).join('')).toMatch(/\/health\/live/);
    expect(of(final, 'STOPSIGNAL').map((i) => i.getArgumentsContent())).toEqual(['SIGTERM']);
    expect(JSON.parse(of(final, 'ENTRYPOINT')[0].getArgumentsContent()!)).toEqual(['node', 'dist/src/cli/main.js']);
    expect(JSON.parse(of(final, 'CMD')[0].getArgumentsContent()!)).toEqual(['serve']);
  });

  test('every RUN is a step of scripts/build-image-steps.sh (the script CI runs)', () => {
    const runs = instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent());
    expect(runs).toEqual([
      'sh scripts/build-image-steps.sh install-dev',
      'sh scripts/build-image-steps.sh compile',
      'sh scripts/build-image-steps.sh install-prod',
      'sh scripts/build-image-steps.sh verify',
    ]);
  });

  test('.dockerignore keeps node_modules, dist and local data out of the build context', () => {
    const ignored = readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.weir', '.git']) expect(ignored).toContain(p);
  });
});

describe('the image build steps, outside Docker', () => {
  const work = mkdtempSync(join(tmpdir(), 'weir-image-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const step = (cwd: string, name: string) => {
    const r = spawnSync('sh', ['scripts/build-image-steps.sh', name], { cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, CI: 'true' } });
    expect(r.status, `${name}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  };
  /** What the Dockerfile COPYs into a stage, from the repository. */
  const stage = (name: string, files: string[]) => {
    const dir = join(work, name);
    for (const f of files) cpSync(join(repo, f), join(dir, f), { recursive: true });
    return dir;
  };

  test('build: compile (install-dev is `npm ci`: the repository\'s node_modules stands in for it)', () => {
    const build = stage('build', ['package.json', 'package-lock.json', 'scripts/build-image-steps.sh', 'tsconfig.json', 'tsconfig.build.json', 'src']);
    symlinkSync(join(repo, 'node_modules'), join(build, 'node_modules'));
    step(build, 'compile');
  }, 240_000);

  test('deps: production install; runtime: the assembled tree has no dev dependency and the CLI runs, migrating an embedded database', () => {
    const deps = stage('deps', ['package.json', 'package-lock.json', 'scripts/build-image-steps.sh', 'scripts/patch-deps.mjs']);
    step(deps, 'install-prod');
    // The image's postgres driver carries the closed-socket guard (scripts/patch-deps.mjs).
    expect(readFileSync(join(deps, 'node_modules', 'postgres', 'src', 'connection.js'), 'utf8')).toContain('weir: guard nextWrite');
    const runtime = stage('runtime', ['package.json', 'scripts/build-image-steps.sh']);
    cpSync(join(deps, 'node_modules'), join(runtime, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    cpSync(join(work, 'build', 'dist'), join(runtime, 'dist'), { recursive: true });
    step(runtime, 'verify');
    const migrate = spawnSync(process.execPath, ['dist/src/cli/main.js', 'migrate'], {
      cwd: runtime,
      encoding: 'utf8',
      timeout: 120_000,
      env: { PATH: process.env.PATH ?? '', HOME: runtime, NODE_ENV: 'production', WEIR_DATA_DIR: join(runtime, 'data') },
    });
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/applied: /);
  }, 300_000);
});
