/**
 * `weir keys create|list|revoke`: API keys. `create` prints the new key alone on stdout (so
 * `KEY=$(weir keys create …)` works); everything else a person reads goes to stderr.
 *
 * @example
 * weir keys create --namespace payments --role write --name ci
 * weir keys create --namespace '*' --role admin
 * weir keys list
 * weir keys revoke weir_AbCdEfG
 */
import { newApiKey } from '../api/auth.ts';
import { insertApiKey, listApiKeys, revokeApiKey, roles, type Role } from '../store/queries/keys.ts';
import type { Sql } from '../store/sql.ts';

export interface KeysDeps {
  sql: Sql;
  stdout(s: string): void;
  stderr(s: string): void;
}

const usage = `Usage:
  weir keys create --namespace <ns|*> [--namespace <ns>…] --role <admin|write|read> [--name <label>]
  weir keys list
  weir keys revoke <id|prefix>
`;

const namespacePattern = /^(\*|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$/;

export async function keysCommand(args: string[], deps: KeysDeps): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create':
      return create(rest, deps);
    case 'list': {
      const keys = await listApiKeys(deps.sql);
      deps.stdout(`${['ID', 'PREFIX', 'ROLE', 'NAMESPACES', 'NAME', 'CREATED', 'LAST USED', 'REVOKED'].join('\t')}\n`);
      for (const k of keys) {
        deps.stdout(
          `${[k.id, k.prefix, k.role, k.namespaces.join(','), k.name ?? '-', k.createdAt.toISOString(), k.lastUsedAt?.toISOString() ?? '-', k.revokedAt?.toISOString() ?? '-'].join('\t')}\n`,
        );
      }
      return 0;
    }
    case 'revoke': {
      if (rest.length !== 1) return fail(deps, 'revoke needs one key id or prefix');
      const n = await revokeApiKey(deps.sql, rest[0]);
      if (n === 0) return fail(deps, `no live key has id or prefix ${rest[0]}`, 1);
      deps.stderr(`revoked ${n} key(s)\n`);
      return 0;
    }
    default:
      return fail(deps, sub === undefined ? 'missing subcommand' : `unknown subcommand ${sub}`);
  }
}

async function create(args: string[], deps: KeysDeps): Promise<number> {
  const namespaces: string[] = [];
  let role: string | undefined;
  let name: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split('=', 2) as [string, string | undefined];
    const value = inline ?? args[++i];
    if (value === undefined) return fail(deps, `${flag} needs a value`);
    if (flag === '--namespace' || flag === '-n') namespaces.push(...value.split(',').map((s) => s.trim()).filter(Boolean));
    else if (flag === '--role' || flag === '-r') role = value;
    else if (flag === '--name') name = value;
    else return fail(deps, `unknown flag ${flag}`);
  }
  if (!namespaces.length) return fail(deps, 'create needs --namespace <ns|*>');
  const bad = namespaces.find((n) => !namespacePattern.test(n));
  if (bad !== undefined) return fail(deps, `--namespace ${bad} is not a namespace (lower-case letters, digits, -) or *`);
  if (!role || !(roles as readonly string[]).includes(role)) return fail(deps, `--role must be one of ${roles.join(', ')}`);
  const k = await newApiKey();
  const row = await insertApiKey(deps.sql, { hash: k.hash, prefix: k.prefix, namespaces, role: role as Role, name });
  deps.stdout(`${k.key}\n`);
  deps.stderr(`created key ${row.id} (${row.prefix}…, role ${row.role}, namespaces ${row.namespaces.join(',')}); it is shown once: store it now\n`);
  return 0;
}

function fail(deps: KeysDeps, message: string, code = 2): number {
  deps.stderr(`weir keys: ${message}\n${code === 2 ? usage : ''}`);
  return code;
}
