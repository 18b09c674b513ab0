/**
 * `weir run <file> [--input '<json>' | --input-file <path>] [--secrets '<json>'] [--allow-private]
 * [--real-timers]`: validates the document and runs it with the local runner (no database).
 * Exit 0 and the output as JSON on stdout when it completes; 1 and the error as problem JSON on
 * stderr when it faults (or is cancelled); 2 when the document or the arguments are invalid.
 */
import { parseDocument, validateWorkflow } from '../dsl/index.ts';
import { runLocally } from '../effects/local-runner.ts';
import { checkExpression } from '../expr/check.ts';

export type RunIo = { readFile(path: string): Promise<string>; stdout(s: string): void; stderr(s: string): void };

const USAGE = "usage: weir run <file> [--input '<json>' | --input-file <path>] [--secrets '<json>'] [--allow-private] [--real-timers]";

function problem(title: string, detail: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'https://serverlessworkflow.io/spec/1.0.0/errors/validation', title, status: 400, detail, ...extra }, null, 2);
}

export async function runCommand(args: string[], io: RunIo): Promise<number> {
  let file: string | undefined;
  let inputText: string | undefined;
  let inputFile: string | undefined;
  let secretsText: string | undefined;
  let allowPrivate = false;
  let realTimers = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--input' || a === '-i') inputText = value();
      else if (a.startsWith('--input=')) inputText = a.slice(8);
      else if (a === '--input-file') inputFile = value();
      else if (a === '--secrets') secretsText = value();
      else if (a === '--allow-private') allowPrivate = true;
      else if (a === '--real-timers') realTimers = true;
      else if (a === '--help' || a === '-h') {
        io.stdout(USAGE + '\n');
        return 0;
      } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
      else if (file === undefined) file = a;
      else throw new Error(`unexpected argument ${a}`);
    } catch (e) {
      io.stderr(`${(e as Error).message}\n${USAGE}\n`);
      return 2;
    }
  }
  if (!file) {
    io.stderr(USAGE + '\n');
    return 2;
  }

  let text: string;
  try {
    text = await io.readFile(file);
    if (inputFile !== undefined) inputText = await io.readFile(inputFile);
  } catch (e) {
    io.stderr(problem('Cannot read file', (e as Error).message) + '\n');
    return 2;
  }
  let input: unknown = {};
  let secrets: Record<string, unknown> | undefined;
  try {
    if (inputText !== undefined) input = JSON.parse(inputText);
    if (secretsText !== undefined) secrets = JSON.parse(secretsText) as Record<string, unknown>;
  } catch (e) {
    io.stderr(problem('Invalid JSON argument', `--input / --secrets must be JSON: ${(e as Error).message}`) + '\n');
    return 2;
  }

  const parsed = parseDocument(text);
  if (!parsed.ok) {
    io.stderr(problem('Invalid workflow document', `${file} could not be parsed`, { errors: parsed.errors }) + '\n');
    return 2;
  }
  const validated = validateWorkflow(parsed.value, { checkExpression });
  if (!validated.ok) {
    const errors = validated.errors.map((e) => ({ ...e, ...(e.line === undefined ? parsed.locate(e.pointer) : {}) }));
    io.stderr(problem('Invalid workflow document', `${file} is not a valid workflow`, { errors }) + '\n');
    return 2;
  }

  const result = await runLocally(validated.workflow, input, {
    allowPrivate,
    instantTimers: !realTimers,
    ...(secrets ? { secrets } : {}),
  });
  if (result.status === 'completed') {
    io.stdout(JSON.stringify(result.output ?? null, null, 2) + '\n');
    return 0;
  }
  const error = result.error ?? { type: 'https://serverlessworkflow.io/spec/1.0.0/errors/runtime', status: 500, title: 'Cancelled', detail: 'the workflow was cancelled' };
  io.stderr(JSON.stringify(error, null, 2) + '\n');
  return 1;
}
