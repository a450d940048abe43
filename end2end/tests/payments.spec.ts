// Paying by card in Chromium, against localstripe's Stripe.js stand-in and API: a good card,
// a declined card, 3-D Secure completed and failed (one bank check each), a new card kept as it
// pays, saving a card, autopay at a bill run,
// pay by link, and the pay page at phone width. Uses accounts 10000011 and up (the other
// specs use 10000001-10000010), a different one per project so desktop and phone runs do
// not meet.
import { test, expect, Page, TestInfo } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { dollars, emailed, one, sql } from './db';
import { billRun, freshSubscriber } from './accounts';
import { noSidewaysScroll, ready, signIn } from './pages';

/** Accounts of our own: [number, id], one set per project. */
function accounts(info: TestInfo): { number: string; id: string }[] {
  const rows = sql(`
    select a.account_number, a.id from accounts a
     where a.status = 'active' and a.billing_mode = 'postpaid' and a.account_number > '10000010'
       and exists (select 1 from portal_logins l where l.account_id = a.id and l.disabled_at is null
                     and l.language is null)
     order by a.account_number`);
  const half = Math.floor(rows.length / 2);
  const mine = info.project.name === 'phone' ? rows.slice(half) : rows.slice(0, half);
  return mine.map(([number, id]) => ({ number, id }));
}

/** Types a card into localstripe's card element (inside our mount node). */
async function typeCard(page: Page, number: string, mount = '#card-element') {
  const card = page.locator(mount);
  await expect(card.getByPlaceholder('number')).toBeVisible();
  await card.getByPlaceholder('number').fill(number);
  await card.getByPlaceholder('exp_month').fill('12');
  await card.getByPlaceholder('exp_year').fill('30'); // two digits: the stand-in adds "20"
  await card.getByPlaceholder('cvc').fill('123');
  await card.getByPlaceholder('postal_code').fill('97477');
}

async function choose(page: Page) {
  // With saved cards, the new card is one choice among them.
  const fresh = page.getByTestId('new-card');
  if (await fresh.count()) await fresh.check();
}

function ledgerCount(id: string): string {
  return one(`select count(*) from ledger_entries where account_id = ${id}`);
}

test('a good card pays and the receipt shows it', async ({ page }, info) => {
  const { number, id } = accounts(info)[0];
  const before = one(`select coalesce(sum(amount), 0) from ledger_entries where account_id = ${id}`);
  await signIn(page, number);
  await page.goto('/pay');
  await ready(page);
  await page.getByLabel('Amount to pay').fill('12.34');
  await choose(page);
  await typeCard(page, '4242424242424242');
  const pay = page.getByTestId('pay-button');
  await expect(pay).toHaveText('Pay $12.34');
  await pay.click();
  await page.waitForURL(/\/payments\/\d+$/);
  await expect(page.getByTestId('receipt-amount')).toHaveText('$12.34');
  await expect(page.getByTestId('receipt-state')).toHaveText('Paid');
  await expect(page.getByTestId('receipt-card')).toHaveText('Visa •••• 4242');
  const paymentId = page.url().split('/').pop()!;
  await expect(page.getByTestId('receipt-reference')).toHaveText(`P-${paymentId}`);
  const after = one(`select coalesce(sum(amount), 0) from ledger_entries where account_id = ${id}`);
  expect(Number(after)).toBeCloseTo(Number(before) - 12.34, 2);
  expect(one(`select count(*) from ledger_entries where payment_id = ${paymentId}`)).toBe('1');
});

test('a declined card is explained in plain words and nothing is recorded', async ({ page }, info) => {
  const { number, id } = accounts(info)[0];
  const entries = ledgerCount(id);
  const paid = () =>
    one(`select count(*) from payments where account_id = ${id} and status = 'succeeded' and amount = 20.00`);
  const paidBefore = paid();
  await signIn(page, number);
  await page.goto('/pay');
  await ready(page);
  await page.getByLabel('Amount to pay').fill('20.00');
  await choose(page);
  // Accepted as a card, declined when charged.
  await typeCard(page, '4000000000000341');
  await page.getByTestId('pay-button').click();
  await expect(page.getByTestId('card-error')).toHaveText(/Your card was declined\. Nothing was charged/);
  await expect(page).toHaveURL(/\/pay$/);
  await expect(page.getByTestId('pay-button')).toBeEnabled();
  expect(ledgerCount(id)).toBe(entries);
  expect(paid()).toBe(paidBefore);

  // Another card, same form: this one goes through.
  await typeCard(page, '4242424242424242');
  await page.getByTestId('pay-button').click();
  await page.waitForURL(/\/payments\/\d+$/);
  await expect(page.getByTestId('receipt-state')).toHaveText('Paid');
});

/** Counts what the page asks of Stripe: the bank's checks (3-D Secure answers) and SetupIntents. */
function watchStripe(page: Page): { bankChecks: number; setupIntents: number } {
  const seen = { bankChecks: 0, setupIntents: 0 };
  page.on('request', (request) => {
    const url = request.url();
    if (/\/v1\/payment_intents\/pi_\w+\/_authenticate/.test(url)) seen.bankChecks += 1;
    if (/\/v1\/setup_intents/.test(url)) seen.setupIntents += 1;
  });
  return seen;
}

test('3-D Secure completed pays after one bank check; failed is explained', async ({ page }, info) => {
  const { number, id } = accounts(info)[0];
  await signIn(page, number);
  const stripe = watchStripe(page);

  await page.goto('/pay');
  await ready(page);
  await page.getByLabel('Amount to pay').fill('15.00');
  await choose(page);
  await typeCard(page, '4000002500003155');
  await page.getByTestId('pay-button').click();
  // The bank checks the cardholder once, as the payment is confirmed.
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await page.waitForURL(/\/payments\/\d+$/);
  await expect(page.getByTestId('receipt-state')).toHaveText('Paid');
  await expect(page.getByTestId('receipt-amount')).toHaveText('$15.00');
  await expect(page.getByTestId('receipt-card')).toHaveText('Visa •••• 3155');
  expect(stripe).toEqual({ bankChecks: 1, setupIntents: 0 });

  const entries = ledgerCount(id);
  await page.goto('/pay');
  await ready(page);
  await page.getByLabel('Amount to pay').fill('16.00');
  await choose(page);
  await typeCard(page, '4000002500003155');
  await page.getByTestId('pay-button').click();
  await page.getByRole('button', { name: 'Fail authentication' }).click();
  await expect(page.getByTestId('card-error')).toHaveText(/Your bank couldn't confirm this payment/);
  await expect(page).toHaveURL(/\/pay$/);
  expect(ledgerCount(id)).toBe(entries);
  expect(stripe).toEqual({ bankChecks: 2, setupIntents: 0 });
});

test('a new 3-D Secure card kept for next time is checked by the bank once and offered next time', async ({
  page,
}, info) => {
  const { number, id } = freshSubscriber(`${info.project.name === 'phone' ? 1 : 0}3`);
  await signIn(page, number);
  const stripe = watchStripe(page);
  await page.goto('/pay');
  await ready(page);
  await page.getByLabel('Amount to pay').fill('11.00');
  await choose(page);
  await typeCard(page, '4000002500003155');
  await page.getByLabel('Save this card for next time').check();
  await page.getByTestId('pay-button').click();
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await page.waitForURL(/\/payments\/\d+$/);
  await expect(page.getByTestId('receipt-state')).toHaveText('Paid');
  expect(stripe).toEqual({ bankChecks: 1, setupIntents: 0 });
  // Kept: the account's default card, named on the payment that kept it.
  expect(
    one(`select m.last4::text || ' ' || m.is_default::text from payment_methods m
          where m.account_id = ${id} and m.removed_at is null`),
  ).toBe('3155 true');
  const paymentId = page.url().split('/').pop()!;
  expect(one(`select (payment_method_id is not null)::text from payments where id = ${paymentId}`)).toBe('true');
  await page.goto('/cards');
  await ready(page);
  await expect(page.getByTestId('saved-cards')).toContainText('Visa •••• 3155');
  // The next payment offers it, chosen already.
  await page.goto('/pay');
  await ready(page);
  await expect(page.getByTestId('new-card')).not.toBeChecked();
});

test('a card is saved, made the default, and pays from the pay page', async ({ page }, info) => {
  const { number, id } = accounts(info)[1];
  await signIn(page, number);
  await page.goto('/cards');
  await ready(page);
  const before = Number(one(`select count(*) from payment_methods where account_id = ${id} and removed_at is null`));
  await page.getByTestId('add-card').click();
  await typeCard(page, '4242424242424242', '#new-card-element');
  await page.getByTestId('save-card').click();
  await page.waitForURL(/\/cards\?saved=1$/);
  await expect(page.getByTestId('saved-card')).toHaveCount(before + 1);
  await expect(page.getByTestId('saved-cards')).toContainText('Visa •••• 4242');
  expect(one(`select count(*) from payment_methods where account_id = ${id} and removed_at is null`)).toBe(
    String(before + 1),
  );

  // Make it the default, then pay with it: no card details needed.
  const newest = one(
    `select id from payment_methods where account_id = ${id} and removed_at is null order by id desc limit 1`,
  );
  if (one(`select is_default::text from payment_methods where id = ${newest}`) !== 'true') {
    await page.locator(`form[action="/api/make-default-card"]:has(input[value="${newest}"]) button`).click();
    await expect(page.getByTestId('saved-card').first()).toContainText('Default');
  }
  expect(one(`select is_default::text from payment_methods where id = ${newest}`)).toBe('true');
  await page.goto('/pay');
  await ready(page);
  await page.getByLabel('Amount to pay').fill('5.00');
  await expect(page.locator(`input[name="card"][value="${newest}"]`)).toBeChecked();
  await page.getByTestId('pay-button').click();
  await page.waitForURL(/\/payments\/\d+$/);
  await expect(page.getByTestId('receipt-state')).toHaveText('Paid');
});

test('autopay charges the default card at the bill run, and 3-D Secure is finished from the notice', async ({
  page,
}, info) => {
  for (const [card, needsBank] of [
    ['4242424242424242', false],
    ['4000002500003155', true],
  ] as const) {
    const { number, id } = freshSubscriber(`${info.project.name === 'phone' ? 1 : 0}${needsBank ? 1 : 0}`);
    await signIn(page, number);
    await page.goto('/cards');
    await ready(page);
    await page.getByTestId('add-card').click();
    await typeCard(page, card, '#new-card-element');
    await page.getByTestId('save-card').click();
    if (needsBank) await page.getByRole('button', { name: 'Complete authentication' }).click();
    await page.waitForURL(/\/cards\?saved=1$/);
    // The first card saved is the default.
    expect(one(`select count(*) from payment_methods where account_id = ${id} and is_default`)).toBe('1');
    await page.getByTestId('autopay-toggle').click();
    await expect(page.getByTestId('autopay-state')).toHaveText('Autopay is on.');

    const printed = billRun(number);
    const due = one(`select total_due from statements where account_id = ${id}`);
    expect(Number(due)).toBeGreaterThan(0);
    if (!needsBank) {
      expect(printed).toContain('1 succeeded');
      expect(one(`select status from statements where account_id = ${id}`)).toBe('paid');
      expect(one(`select -sum(amount) from ledger_entries where account_id = ${id} and kind = 'payment'`)).toBe(due);
      await page.goto('/');
      await ready(page);
      await expect(page.getByTestId('autopay-action')).toHaveCount(0);
      continue;
    }
    // The bank wants the cardholder: nothing is charged; an email and a notice ask for it.
    expect(printed).toContain('1 waiting');
    const waiting = one(
      `select id from payments where account_id = ${id} and source = 'autopay' and status = 'requires_action'`,
    );
    expect(one(`select count(*) from outbound_emails where account_id = ${id} and kind = 'payment_action_required'`)).toBe('1');
    expect(one(`select count(*) from ledger_entries where account_id = ${id} and kind = 'payment'`)).toBe('0');
    await page.goto('/');
    await ready(page);
    await expect(page.getByTestId('autopay-action')).toBeVisible();
    await page.getByTestId('autopay-action').getByRole('link').click();
    await page.waitForURL(new RegExp(`/payments/${waiting}$`));
    await ready(page);
    await page.getByTestId('confirm-with-bank').click();
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await expect(page.getByTestId('receipt-state')).toHaveText('Paid');
    expect(one(`select status from statements where account_id = ${id}`)).toBe('paid');
    expect(one(`select -sum(amount) from ledger_entries where account_id = ${id} and kind = 'payment'`)).toBe(due);
    // Signing out between the two accounts.
    await page.context().clearCookies();
  }
});

/** A pay link signed as the server signs them (engine::cards::pay_link). */
function payLink(statementId: string, expires: number): string {
  const secret = process.env.LASTMILE_PAY_LINK_SECRET ?? 'local-only-pay-link-secret-not-for-production';
  const tag = createHmac('sha256', secret).update(`pay:${statementId}.${expires}`).digest().subarray(0, 16);
  return `/pay/${statementId}.${expires}.${tag.toString('base64url')}`;
}

test('a pay link pays its statement without signing in, and a stale one offers sign-in', async ({ page }, info) => {
  const { number, id } = freshSubscriber(`${info.project.name === 'phone' ? 1 : 0}2`);
  billRun(number);
  const [statementId, statementNumber, due] = sql(
    `select id, statement_number, total_due from statements where account_id = ${id}`,
  )[0];
  const now = Math.floor(Date.now() / 1000);

  await page.goto(payLink(statementId, now - 60));
  await expect(page.getByTestId('link-refused')).toHaveAttribute('data-code', 'expired');
  await expect(page.getByRole('link', { name: 'Sign in to pay' })).toBeVisible();
  // A link changed to another statement is refused too.
  const forged = payLink(statementId, now + 3600).replace(`/pay/${statementId}.`, `/pay/${Number(statementId) - 1}.`);
  await page.goto(forged);
  await expect(page.getByTestId('link-refused')).toBeVisible();

  // The link the statement email carries opens the page.
  const link = await emailed(`account_id = ${id} and kind = 'statement_ready'`, /\/pay\/[A-Za-z0-9._-]+/);
  await page.goto(link);
  await ready(page);
  await expect(page.getByTestId('link-statement')).toHaveText(statementNumber);
  await expect(page.getByTestId('link-amount')).toHaveText(dollars(due));
  // Nothing else of the account: not the name, not the address, no navigation.
  await expect(page.locator('body')).not.toContainText('Casey');
  await expect(page.locator('body')).not.toContainText('Test Lane');
  await typeCard(page, '4242424242424242');
  await page.getByTestId('pay-button').click();
  await expect(page.getByTestId('pay-done')).toContainText(`We received your payment of ${dollars(due)}`);
  const rows = sql(`select source, requested_by_login is null, amount from payments where statement_id = ${statementId}
               and status = 'succeeded'`);
  expect(rows).toEqual([['pay_link', 't', due]]);
  expect(one(`select status from statements where id = ${statementId}`)).toBe('paid');
  await page.reload();
  await expect(page.getByTestId('link-paid')).toBeVisible();
});

test('the pay page fits a phone: no sideways scrolling, big targets, a decimal keyboard', async ({ page }, info) => {
  const { number } = accounts(info)[0];
  await signIn(page, number);
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/pay');
  await ready(page);
  await choose(page);
  await expect(page.locator('#card-element input').first()).toBeVisible();
  await noSidewaysScroll(page);
  await expect(page.getByLabel('Amount to pay')).toHaveAttribute('inputmode', 'decimal');
  const button = await page.getByTestId('pay-button').boundingBox();
  expect(button!.height).toBeGreaterThanOrEqual(48);
  // The full width of a 360-px screen, less the page's margins.
  expect(button!.width).toBeGreaterThanOrEqual(280);
  // No payment request button in this browser: the page works without it.
  await expect(page.locator('.wallet')).toBeHidden();
  // Double clicks: the button is disabled while paying.
  await page.getByLabel('Amount to pay').fill('0.10');
  await page.getByTestId('pay-button').click();
  await expect(page.getByTestId('amount-error')).toContainText(`between $1.00 and ${dollars('5000')}`);
  await expect(page.getByTestId('pay-button')).toBeEnabled();
});

test('paying from the keyboard alone: a refused amount takes the focus back, then the card pays', async ({ page }, info) => {
  const mine = accounts(info);
  const { number, id } = mine[mine.length - 1];
  await signIn(page, number);
  await page.goto('/pay');
  await ready(page);
  // Tab from the top of the page to each control in turn, typing as a person would.
  const tabTo = async (selector: string) => {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      if (await page.locator(selector).evaluate((e) => e === document.activeElement)) return;
    }
    throw new Error(`Tab never reached ${selector}`);
  };
  await tabTo('#amount');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('0.10');
  await tabTo('[data-testid="pay-button"]');
  await page.keyboard.press('Enter');
  // Refused: the message is beside the field, and the keyboard is back in the field.
  await expect(page.getByTestId('amount-error')).toContainText('between $1.00');
  await expect(page.locator('#amount')).toBeFocused();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('11.00');
  // A new card, typed field by field.
  // With saved cards, the new card is chosen in the radio group with the arrow keys.
  if (await page.getByTestId('new-card').count()) {
    await tabTo('input[type="radio"]:checked');
    for (let i = 0; i < 10 && !(await page.getByTestId('new-card').isChecked()); i++) {
      await page.keyboard.press('ArrowDown');
    }
    await expect(page.getByTestId('new-card')).toBeChecked();
  }
  for (const [field, value] of [['number', '4242424242424242'], ['exp_month', '12'], ['exp_year', '30'],
                                ['cvc', '123'], ['postal_code', '97477']]) {
    await tabTo(`#card-element [placeholder="${field}"]`);
    await page.keyboard.type(value);
  }
  await tabTo('[data-testid="pay-button"]');
  await expect(page.getByTestId('pay-button')).toHaveText('Pay $11.00');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/payments\/\d+$/);
  await expect(page.getByTestId('receipt-amount')).toHaveText('$11.00');
  const paymentId = page.url().split('/').pop()!;
  expect(one(`select count(*) from ledger_entries where payment_id = ${paymentId} and account_id = ${id}`)).toBe('1');
});
