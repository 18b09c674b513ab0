/** A Sql that counts what goes through it: tests that bound round trips and transactions. */
import type { Sql } from '../../src/store/sql.ts';

/** Counts the statements and transactions sent through `sql` (top level only). */
export function counting(sql: Sql): { sql: Sql; statements: number; transactions: number } {
  const c = { statements: 0, transactions: 0 } as { sql: Sql; statements: number; transactions: number };
  const wrapped = ((strings: TemplateStringsArray, ...values: unknown[]) => {
    c.statements++;
    return sql(strings, ...values);
  }) as Sql;
  Object.defineProperty(wrapped, 'driver', { value: sql.driver });
  wrapped.unsafe = (text, params) => {
    c.statements++;
    return sql.unsafe(text, params);
  };
  wrapped.exec = (script) => sql.exec(script);
  wrapped.begin = (fn) => {
    c.transactions++;
    return sql.begin(fn);
  };
  c.sql = wrapped;
  return c;
}
