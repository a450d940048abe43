// The support desk in Chromium: a rep signs in with an authenticator code, finds an account
// (a typo forgiven), views it as its subscriber under a banner, is refused a change, and ends
// the view; a subscriber questions a charge, billing staff accept it, and the credit is on the
// next statement. Each project (desktop, phone) uses subscribers of its own.
import { test, expect, Page } from '@playwright/test';
import { one } from './db';
import { billRun, freshSubscriber, providerMonthAgo } from './accounts';
import { noSidewaysScroll, ready, signIn, staffSignIn } from './pages';

const REP = { email: 'riley.support@example.net', name: 'Riley Chen' };
const BILLING = { email: 'bailey.billing@example.net', name: 'Bailey Okafor' };

async function search(page: Page, text: string) {
  await page.goto('/staff');
  await page.getByLabel('Account number, name, email, phone or address').fill(text);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/\/staff\?q=/);
}

test('a rep signs in with a code, finds the account, views it read-only under a banner, and ends the view', async ({
  page,
}, info) => {
  test.setTimeout(120_000);
  const tag = info.project.name === 'phone' ? '31' : '30';
  const { number, id } = freshSubscriber(tag);
  await staffSignIn(page, REP.email);
  await expect(page.getByTestId('staff-name')).toHaveText(REP.name);

  // A misspelt name still finds the demo subscriber; the number finds ours.
  await search(page, 'Alex Morgn');
  await expect(page.getByTestId('search-results')).toContainText('10000001');
  await search(page, number);
  const results = page.getByTestId('search-results');
  await expect(results).toContainText('Casey Tester');
  await noSidewaysScroll(page);
  await results.getByRole('link', { name: new RegExp(number) }).click();
  await page.waitForURL(new RegExp(`/staff/accounts/${id}$`));
  await expect(page.getByTestId('account-number')).toContainText(number);

  // View as the subscriber: a reason is required.
  const form = page.getByTestId('view-as-form');
  await ready(page);
  await form.getByLabel('Ticket reference (optional)').fill('T-000777');
  await form.getByRole('button', { name: 'View as subscriber' }).click();
  await expect(page.getByTestId('form-error').or(form.locator('.field-error').filter({ hasText: /./ })).first()).toBeVisible();
  await form.getByLabel('Why do you need to view this account?').fill('Caller asks why the bill went up');
  await form.getByRole('button', { name: 'View as subscriber' }).click();
  await page.waitForURL((url) => url.pathname === '/');
  const banner = page.getByTestId('support-banner');
  await expect(banner).toContainText(`${REP.name} is viewing this account as the subscriber`);
  await expect(banner).toContainText('Caller asks why the bill went up');
  await expect(page.getByTestId('support-mode')).toHaveText('Read-only');
  await expect(page.getByTestId('account-number')).toHaveText(number);
  await noSidewaysScroll(page);

  // A change is refused, and nothing changes.
  await page.goto('/plans');
  await expect(banner).toBeVisible();
  await page.getByRole('link', { name: /^Choose / }).first().click();
  await page.getByTestId('confirm-change').click();
  await expect(page.getByTestId('form-error')).toContainText('Not while viewing as the subscriber');
  expect(one(`select count(*) from plan_changes c join services s on s.id = c.service_id where s.account_id = ${id}`)).toBe('0');

  // Ending the view goes back to the account in the console.
  await page.getByTestId('end-view').click();
  await page.waitForURL(new RegExp(`/staff/accounts/${id}\\?ended=1$`));
  await expect(page.getByTestId('support-banner')).toHaveCount(0);
  expect(one(`select end_reason from support_sessions where account_id = ${id}`)).toBe('ended');
  expect(one(`select ticket_ref from support_sessions where account_id = ${id}`)).toBe('T-000777');
  const viewed = one(
    `select count(*) from audit_log where subject_account_id = ${id} and action = 'support.viewed' and detail->>'path' in ('/', '/plans')`,
  );
  expect(Number(viewed)).toBeGreaterThanOrEqual(2);
  expect(one(`select summary from service_events where account_id = ${id} and kind = 'support_access'`)).toBe(
    'Support viewed your account: Caller asks why the bill went up',
  );
});

test('a questioned charge is held, accepted by billing staff, and credited on the next statement', async ({
  page,
  browser,
}, info) => {
  test.setTimeout(120_000);
  const tag = info.project.name === 'phone' ? '33' : '32';
  const { number, id } = freshSubscriber(tag, providerMonthAgo());
  billRun(number, providerMonthAgo());
  const [statementId] = one(`select id from statements where account_id = ${id}`).split('\t');

  // The subscriber questions the plan charge on the statement.
  await signIn(page, number);
  await page.goto(`/statements/${statementId}`);
  await ready(page);
  await page.getByTestId('question-charge').first().click();
  await page.waitForURL(/\/lines\/\d+\/dispute$/);
  await ready(page);
  await noSidewaysScroll(page);
  const form = page.getByTestId('dispute-form');
  await form.getByLabel('Amount you are questioning').fill('10.00');
  await form.getByLabel('What is wrong with this charge?').fill('Too short');
  await form.getByRole('button', { name: 'Send to our billing team' }).click();
  await expect(page.getByTestId('message-error')).toContainText('at least 10 characters');
  // The keyboard is put on the field to mend.
  await expect(form.getByLabel('What is wrong with this charge?')).toBeFocused();
  await form.getByLabel('What is wrong with this charge?').fill('I was told the first month would be discounted.');
  await form.getByRole('button', { name: 'Send to our billing team' }).click();
  await page.waitForURL(/\/support\/T-\d+$/);
  const ticket = page.url().split('/').pop()!;
  expect(one(`select disputed_amount from tickets where number = '${ticket}' and account_id = ${id}`)).toBe('10.00');

  // Billing staff accept it from the console.
  const staff = await browser.newContext({ viewport: page.viewportSize() ?? undefined });
  const console = await staff.newPage();
  await staffSignIn(console, BILLING.email);
  await console.goto(`/staff/tickets/${ticket}`);
  await ready(console);
  await console.getByTestId('decide-accept').getByRole('button').click();
  await expect(console.getByTestId('dispute-outcome')).toBeVisible();
  await staff.close();
  expect(one(`select amount from ledger_entries where account_id = ${id} and kind = 'credit'`)).toBe('-10.00');

  // The next statement carries the credit.
  billRun(number);
  const next = one(`select id from statements where account_id = ${id} order by period_start desc limit 1`);
  expect(next).not.toBe(statementId);
  expect(one(`select total_credits from statements where id = ${next}`)).toBe('-10.00');
  await page.goto(`/statements/${next}`);
  await ready(page);
  const statement = page.getByTestId('statement');
  await expect(statement).toContainText('Credit: disputed charge');
  await expect(statement).toContainText('-$10.00');
});
