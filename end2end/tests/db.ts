// Reads the seeded figures straight from PostgreSQL (with psql), so that the pages are checked
// against the database and not against the code that renders them.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

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

/**
 * The newest email the outbox holds for `where` (a condition on outbound_emails), read as it was
 * delivered: the server writes each email into E2E_MAIL_DIR and then clears its body from the
 * outbox, so the file is the only copy. Waits for the mailer (it runs every two seconds) and
 * returns the first match of `pattern` in the text.
 */
export async function emailed(where: string, pattern: RegExp): Promise<string> {
  const dir = process.env.E2E_MAIL_DIR;
  if (!dir) throw new Error('E2E_MAIL_DIR is not set: the emails cannot be read');
  const [id, kind] = sql(`select id, kind from outbound_emails where ${where} order by id desc limit 1`)[0] ?? [];
  if (!id) throw new Error(`no email where ${where}`);
  const file = path.join(dir, `${id.padStart(6, '0')}-${kind}.txt`);
  for (let waited = 0; waited < 15_000; waited += 250) {
    if (existsSync(file)) {
      const found = readFileSync(file, 'utf8').match(pattern);
      if (!found) throw new Error(`${file} has no match for ${pattern}`);
      return found[0];
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`email ${id} (${kind}) was not delivered to ${dir} within 15 s`);
}
