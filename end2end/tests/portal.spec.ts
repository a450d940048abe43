import { test, expect } from '@playwright/test';
import { ALEX, SAM, dollars, emailed, one, sql } from './db';
import { fillSignIn, noSidewaysScroll, ready, signIn } from './pages';

test('a wrong password is refused with a message and no session', async ({ page }) => {
  await fillSignIn(page, ALEX.email, 'not-my-password');
  await expect(page.getByRole('alert')).toContainText("don't match our records");
  // The keyboard is put on the message (no field is at fault).
  await expect(page.getByTestId('form-error')).toBeFocused();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in/);
});

test('the overview shows the account figures from the database', async ({ page }) => {
  const id = one(`select id from accounts where account_number = '${ALEX.number}'`);
  const balance = one(`select sum(amount) from ledger_entries where account_id = ${id}`);
  const plan = one(`select p.name from services s join plans p on p.id = s.plan_id where s.account_id = ${id}`);
  const latest = one(`select total_due from statements where account_id = ${id} order by period_start desc limit 1`);

  await signIn(page, ALEX.number);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('balance')).toHaveText(dollars(balance));
  await expect(page.getByTestId('plan-name')).toHaveText(plan);
  await expect(page.getByTestId('latest-statement-total')).toHaveText(dollars(latest));
  await expect(page.getByTestId('account-number')).toHaveText(ALEX.number);
  await expect(page.getByRole('meter')).toBeVisible();
  // Your next bill, so far: new charges on top of today's balance.
  await expect(page.getByTestId('next-bill')).toBeVisible();
  const amount = async (id: string) =>
    Number((await page.getByTestId(id).innerText()).replace(/[$,]/g, ''));
  const newCharges = await amount('next-bill-new');
  expect(newCharges).toBeGreaterThan(0);
  expect((await amount('next-bill-total')).toFixed(2)).toBe((Number(balance) + newCharges).toFixed(2));
  await noSidewaysScroll(page);
});

test('usage: the period by day, one day by hour, and the CSV download', async ({ page }) => {
  await signIn(page, ALEX.email);
  await ready(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
  await expect(page).toHaveURL(/\/usage$/);
  await expect(page.locator('svg.chart').first()).toBeVisible();
  await noSidewaysScroll(page);

  const firstDay = await page.locator('[data-testid="usage-days"] tbody tr').first().getAttribute('data-day');
  expect(firstDay).toBeTruthy();
  // A day whose hours are kept leads to them; the whole height of its slot is the target.
  const linked = page.locator('svg.chart a').first();
  const href = (await linked.getAttribute('href'))!;
  const day = href.split('day=')[1];
  const target = (await linked.boundingBox())!;
  const bar = (await linked.locator('rect.bar').boundingBox())!;
  expect(target.height).toBeGreaterThan(bar.height);
  await linked.click();
  await expect(page).toHaveURL(new RegExp(`day=${day}`));
  await expect(page.getByTestId('usage-day')).toBeVisible();

  const download = page.waitForEvent('download');
  await page.getByTestId('csv-link').click();
  const file = await download;
  const path = await file.path();
  const text = require('node:fs').readFileSync(path, 'utf8') as string;
  const lines = text.trim().split('\n');
  expect(lines[0]).toBe('date,download_bytes,upload_bytes,total_bytes');
  const id = one(`select id from accounts where account_number = '${ALEX.number}'`);
  const [down, up] = sql(`select u.download_bytes, u.upload_bytes from usage_daily u join services s on s.id = u.service_id
                           where s.account_id = ${id} and u.day = '${firstDay}'`)[0];
  expect(lines).toContain(`${firstDay},${down},${up},${Number(down) + Number(up)}`);
});

test('statements: the list, one statement adding up, and its print button', async ({ page }) => {
  const id = one(`select id from accounts where account_number = '${ALEX.number}'`);
  const rows = sql(`select id, statement_number, total_due from statements where account_id = ${id} order by period_start desc`);
  await signIn(page, ALEX.email);
  await ready(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Statements' }).click();
  await expect(page.locator('[data-statement]')).toHaveCount(rows.length);
  await noSidewaysScroll(page);
  await page.getByRole('link', { name: rows[0][1] }).click();
  await expect(page.getByTestId('total-due')).toHaveText(dollars(rows[0][2]));
  await expect(page.getByRole('button', { name: 'Print' })).toBeVisible();
  await noSidewaysScroll(page);
});

test('history filters by kind', async ({ page }) => {
  await signIn(page, ALEX.email);
  await ready(page);
  await page.goto('/history');
  await ready(page);
  await page.getByLabel('Show').selectOption('statement');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/kind=statement/);
  const kinds = await page.locator('[data-kind]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
  expect(kinds.length).toBeGreaterThan(0);
  expect(new Set(kinds)).toEqual(new Set(['statement']));
  await noSidewaysScroll(page);
});

test("another account's statement is not shown", async ({ page }) => {
  const samStatement = one(`select s.id from statements s join accounts a on a.id = s.account_id
                            where a.account_number = '${SAM.number}' limit 1`);
  await signIn(page, ALEX.email);
  await ready(page);
  await page.goto(`/statements/${samStatement}`);
  await expect(page.getByRole('alert')).toContainText("couldn't find");
  await expect(page.locator('body')).not.toContainText(SAM.number);
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page, ALEX.email);
  await ready(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto('/statements');
  await expect(page).toHaveURL(/\/sign-in\?next=/);
});

test('a forgotten password is reset through the emailed link', async ({ page }, info) => {
  // Each screen size resets a different subscriber's password.
  const number = info.project.name === 'phone' ? '10000004' : '10000003';
  const email = one(`select l.email from portal_logins l join accounts a on a.id = l.account_id where a.account_number = '${number}'`);
  await page.goto('/forgot-password');
  await ready(page);
  await page.getByLabel('Email or account number').fill(number);
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await expect(page.getByTestId('reset-sent')).toBeVisible();

  const link = await emailed(`to_address = '${email}' and kind = 'password_reset'`, /https?:\/\/\S+\/reset-password\?token=\S+/);
  await page.goto(new URL(link).pathname + new URL(link).search);
  await ready(page);
  await page.getByLabel('New password', { exact: true }).fill('my new password 1');
  await page.getByLabel('Confirm new password').fill('my new password 2');
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page.locator('#confirm-error')).toHaveText("The two passwords don't match.");
  await page.getByLabel('Confirm new password').fill('my new password 1');
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page).toHaveURL(/\/sign-in\?reset=1/);

  await signIn(page, email, 'my new password 1');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('account-number')).toHaveText(number);
});

test('the keyboard reaches the content first', async ({ page }) => {
  await signIn(page, ALEX.email);
  await ready(page);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
});

test('every section is in reach: all of the menu on screen, whole words, thumb-sized', async ({ page }) => {
  await signIn(page, ALEX.email);
  await ready(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  const links = nav.getByRole('link');
  await expect(links).toHaveCount(8);
  const width = page.viewportSize()!.width;
  for (const link of await links.all()) {
    const box = (await link.boundingBox())!;
    const name = await link.innerText();
    expect(box.x, name).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, name).toBeLessThanOrEqual(width);
    expect(box.height, name).toBeGreaterThanOrEqual(44);
    // One line: no label cut or broken mid-word.
    const lines = await link.evaluate((e) => {
      const range = document.createRange();
      range.selectNodeContents(e);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    });
    expect(lines, name).toBe(1);
  }
  // The section one is on is marked and visible, the last one too.
  await nav.getByRole('link', { name: 'Cards' }).click();
  await expect(page).toHaveURL(/\/cards$/);
  const current = page.getByRole('navigation', { name: 'Main' }).locator('[aria-current="page"]');
  await expect(current).toHaveText('Cards');
  await expect(current).toBeInViewport();
});

test('the statements list shows every column of a row on the screen', async ({ page }) => {
  await signIn(page, ALEX.email);
  await ready(page);
  await page.goto('/statements');
  await ready(page);
  const width = page.viewportSize()!.width;
  const rows = page.locator('[data-statement]');
  expect(await rows.count()).toBeGreaterThan(0);
  for (const row of await rows.all()) {
    for (const cell of await row.locator('th, td').all()) {
      const box = (await cell.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(width);
    }
    // The statement number reads on one line.
    const number = row.getByRole('link').first();
    const box = (await number.boundingBox())!;
    expect(box.height).toBeLessThan(60);
    expect(box.height).toBeGreaterThanOrEqual(44);
  }
  await noSidewaysScroll(page);
});

test('on a desktop the overview fills its grid, and the next bill lines up', async ({ page }) => {
  test.skip(page.viewportSize()!.width < 1024, 'the desktop layout');
  await signIn(page, ALEX.email);
  await ready(page);
  const card = (heading: string) => page.locator(`section[aria-labelledby="${heading}"]`);
  const top = async (heading: string) => Math.round((await card(heading).boundingBox())!.y);
  // Row by row, no hole: balance, plan, latest statement; usage and the last payment;
  // the next bill and the open tickets.
  expect(await top('plan-h')).toBe(await top('balance-h'));
  expect(await top('statement-h')).toBe(await top('balance-h'));
  expect(await top('payment-h')).toBe(await top('usage-h'));
  expect(await top('tickets-h')).toBe(await top('next-bill-h'));
  // The next bill's totals sit under its lines: labels left, amounts on one right edge.
  const right = async (selector: string) => {
    const box = (await page.locator(selector).first().boundingBox())!;
    return Math.round(box.x + box.width);
  };
  const left = async (selector: string) => Math.round((await page.locator(selector).first().boundingBox())!.x);
  expect(await right('[data-testid="next-bill-total"]')).toBe(await right('[data-testid="next-bill"] tbody td.num'));
  expect(await left('[data-testid="next-bill"] tfoot th')).toBe(await left('[data-testid="next-bill"] tbody td'));
});
