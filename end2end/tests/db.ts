// Reads the seeded figures straight from PostgreSQL (with psql), so that the pages are checked
// against the database and not against the code that renders them.
import { execFileSync } from 'node:child_process';

const url = process.env.E2E_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/lastmile_e2e';

export function sql(query: string, ...params: (string | number)[]): string[][] {
  const args = [url, '-AtqX', '-F', '\t', '-v', 'ON_ERROR_STOP=1'];
  params.forEach((p, i) => args.push('-v', `p${i + 1}=${p}`));
  const out = execFileSync('psql', [...args, '-f', '-'], { input: query, encoding: 'utf8' });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

export function one(query: string, ...params: (string | number)[]): string {
  const rows = sql(query, ...params);
  if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}: ${query}`);
  return rows[0][0];
}

/** en-US dollars, written out here rather than by the portal's code. */
export function dollars(amount: string): string {
  const n = Number(amount);
  const text = Math.abs(n).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}$${text}`;
}

export const ALEX = { email: 'alex.morgan@example.net', number: '10000001' };
export const SAM = { email: 'sam.taylor@example.net', number: '10000002' };
export const PASSWORD = 'lastmile-demo';
