// Every page state, at the desktop size and the phone size: axe-core (WCAG 2.0-2.2 A and AA)
// finds no violation, and on the phone each page's full-length screenshot is kept in the
// test's output (end2end/test-results/) for people to review.
import { test, expect, Page, TestInfo } from '@playwright/test';
import { createRequire } from 'node:module';
import { ALEX, one, sql } from './db';
import { fillSignIn, ready, signIn, staffSignIn } from './pages';

const axePath = createRequire(__filename).resolve('axe-core/axe.min.js');
const ADMIN = 'avery.admin@example.net';

// axe is injected as a script, which the portal's Content-Security-Policy would refuse.
test.use({ bypassCSP: true });

/** Runs axe on the page as it stands; fails listing each violation and where. */
async function accessible(page: Page, info: TestInfo, name: string) {
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    // @ts-expect-error: axe is the script just added.
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map(
      (v: { id: string; help: string; nodes: { target: string[] }[] }) =>
        `${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  });
  if (info.project.name === 'phone') {
    await page.screenshot({ path: info.outputPath(`${name}.png`), fullPage: true });
  }
  expect(violations, `${name} at ${page.url()}`).toEqual([]);
}

test('every subscriber page is accessible, at both sizes', async ({ page }, info) => {
  await page.goto('/sign-in');
  await ready(page);
  await accessible(page, info, 'sign-in');
  // A refused sign-in (an address nobody has: no real account is throttled by it).
  await fillSignIn(page, 'nobody.here@example.net', 'not-a-password');
  await expect(page.getByRole('alert')).toBeVisible();
  await accessible(page, info, 'sign-in-refused');
  await page.goto('/forgot-password');
  await ready(page);
  await accessible(page, info, 'forgot-password');

  await signIn(page, ALEX.email);
  const id = one(`select id from accounts where account_number = '${ALEX.number}'`);
  const statement = one(`select max(id) from statements where account_id = ${id}`);
  const service = one(`select min(id) from services where account_id = ${id} and status = 'active'`);
  const plan = one(`select p.id from plans p, services s join addresses a on a.id = s.address_id
                     where s.id = ${service} and p.id <> s.plan_id and p.available
                       and p.technology = any(a.technologies) and p.currency = 'USD'
                       and p.billing_mode = 'postpaid' order by p.monthly_price limit 1`);
  const sams = one(`select max(s.id) from statements s join accounts a on a.id = s.account_id
                     where a.account_number = '10000002'`);
  const recentDay = one(`select max(u.day) from usage_hourly u join services s on s.id = u.service_id
                          where s.account_id = ${id}`);
  const pages: [string, string][] = [
    ['overview', '/'],
    ['usage', '/usage'],
    ['usage-day', `/usage?day=${recentDay}`],
    ['usage-last-cycle', '/usage?cycle=1'],
    ['statements', '/statements'],
    ['statement', `/statements/${statement}`],
    ['history', '/history'],
    ['support', '/support'],
    ['plans', '/plans'],
    ['plan-preview', `/plans/${service}/${plan}`],
    ['pay', '/pay'],
    ['cards', '/cards'],
    ['security', '/security'],
    ['another-accounts-statement', `/statements/${sams}`],
    ['not-found', '/no-such-page'],
  ];
  for (const [name, path] of pages) {
    await page.goto(path);
    await ready(page);
    await accessible(page, info, name);
  }
  // A statement line's working, opened.
  await page.goto(`/statements/${statement}`);
  await ready(page);
  const working = page.locator('.line-working summary').first();
  if (await working.count()) {
    await working.click();
    await accessible(page, info, 'statement-working-open');
  }
});

test('every console page is accessible, at both sizes', async ({ page }, info) => {
  // Room for a staff sign-in that waits for a fresh authenticator code.
  test.setTimeout(90_000);
  await page.goto('/staff/sign-in');
  await ready(page);
  await accessible(page, info, 'staff-sign-in');
  await staffSignIn(page, ADMIN);
  const id = one(`select id from accounts where account_number = '${ALEX.number}'`);
  const ticket = one(`select coalesce(max(number), '') from tickets`);
  // A reconciliation run with one open mismatch, as `lastmile reconcile` leaves it (once:
  // the phone-sized run finds it there).
  sql(`with run as (insert into reconciliation_runs (period_start, period_end, summary)
                    select '2026-11-01', '2026-12-01', '{"billed_never_online": 1}'
                     where not exists (select 1 from reconciliation_runs) returning id)
       insert into reconciliation_mismatches (run_id, kind, service_id, account_id, evidence)
       select run.id, 'billed_never_online', s.id, s.account_id, 'charged for 30 days of the period; no usage recorded in it'
         from run, services s where s.account_id = ${id} order by s.id limit 1 returning id`);
  const pages: [string, string][] = [
    ['staff-search', '/staff'],
    ['staff-search-results', '/staff?q=Morgan'],
    ['staff-account', `/staff/accounts/${id}`],
    ['staff-adjust', `/staff/accounts/${id}/adjust`],
    ['staff-approvals', '/staff/adjustments'],
    ['staff-tickets', '/staff/tickets'],
    ['staff-integrations', '/staff/integrations'],
    ['staff-outages', '/staff/outages'],
    ['staff-reconciliation', '/staff/reconciliation'],
  ];
  if (ticket) pages.push(['staff-ticket', `/staff/tickets/${ticket}`]);
  for (const [name, path] of pages) {
    await page.goto(path);
    await ready(page);
    await accessible(page, info, name);
  }
});

test('the reports are accessible, at both sizes', async ({ page }, info) => {
  // Five pages, each checked and (on the phone) photographed whole.
  test.setTimeout(90_000);
  await page.goto('/staff/sign-in');
  await ready(page);
  await staffSignIn(page, ADMIN);
  const pages: [string, string][] = [
    // This month so far: a chart, a table and its total row.
    ['staff-report-revenue', '/staff/reports'],
    ['staff-report-receivables', '/staff/reports?report=receivables'],
    ['staff-report-collections', '/staff/reports?report=collections&from=2026-01-01&to=2026-12-31'],
    ['staff-report-usage', '/staff/reports?report=usage'],
    // A range that runs backwards: the message beside its field, and no report.
    ['staff-report-wrong-range', '/staff/reports?report=disputes&from=2030-02-01&to=2030-01-01'],
  ];
  for (const [name, path] of pages) {
    await page.goto(path);
    await ready(page);
    await accessible(page, info, name);
  }
  await expect(page.locator('#from-error')).toHaveText('The first day is after the last.');
});
