// The data cap in the browser: the usage page's forecast and its two ways out; a data add-on
// bought with one tap (a plain form, no code needed) shows on the page and in the database, on
// the next bill or paid now by card (the price with its tax shown first, then the pay page
// for exactly that amount, against localstripe). Each project (desktop, phone) uses accounts
// of its own that no other spec reads, since the add-on stays in the database.
import { test, expect, Page } from '@playwright/test';
import { freshSubscriber } from './accounts';
import { dollars, one, sql } from './db';
import { noSidewaysScroll, ready, signIn } from './pages';

/** Types a card into localstripe's card element. */
async function typeCard(page: Page, number: string) {
  const card = page.locator('#card-element');
  await expect(card.getByPlaceholder('number')).toBeVisible();
  await card.getByPlaceholder('number').fill(number);
  await card.getByPlaceholder('exp_month').fill('12');
  await card.getByPlaceholder('exp_year').fill('30'); // two digits: the stand-in adds "20"
  await card.getByPlaceholder('cvc').fill('123');
  await card.getByPlaceholder('postal_code').fill('97477');
}

/** Postpaid accounts with one active service on a plan with an allowance and an overage
 * price, and no add-on yet; from just after the accounts other specs use, counting up (the
 * plans spec counts down from the end). */
function candidates(): string[][] {
  return sql(`
    select l.email::text, s.id, round(p.overage_per_gb * 100 * 0.5, 2)::text
      from accounts a
      join portal_logins l on l.account_id = a.id and l.is_primary
      join services s on s.account_id = a.id and s.status = 'active'
      join plans p on p.id = s.plan_id
     where a.billing_mode = 'postpaid' and a.status = 'active' and a.currency = 'USD'
       and a.account_number > '10000004'
       and p.allowance_gb is not null and p.overage_per_gb > 0
       and (select count(*) from services x where x.account_id = a.id and x.status <> 'cancelled') = 1
       and not exists (select 1 from data_addons x where x.service_id = s.id)
     order by a.account_number
     limit 2`);
}

test('a data add-on is one tap from the forecast and raises this cycle\'s allowance', async ({ page }, info) => {
  const rows = candidates();
  const [email, serviceId, price] = rows[info.project.name === 'phone' ? 1 : 0];

  await signIn(page, email);
  await page.goto('/usage');
  await expect(page.getByTestId('cap-forecast')).toBeVisible();
  const buy = page.getByTestId('buy-addon');
  // 100 GB at the plan's overage price, with the default 50% off.
  await expect(buy).toHaveText(new RegExp(`^Add to my next bill: ${dollars(price).replace('$', '\\$')}$`));
  const upgrade = page.getByTestId('cap-upgrade');
  if (await upgrade.count()) {
    await expect(upgrade).toHaveAttribute('href', new RegExp(`^/plans/${serviceId}/\\d+$`));
  }
  await noSidewaysScroll(page);

  await buy.click();
  await page.waitForURL((url) => url.pathname === '/usage' && url.search.includes('addon=bought'));
  await expect(page.getByTestId('cap-notice')).toBeVisible();
  await expect(page.getByTestId('cap-addons')).toHaveText(/Includes 100\s+GB of data add-ons/);
  expect(one(`select count(*) from data_addons where service_id = ${serviceId}`)).toBe('1');
  expect(one(`select o.amount::text from data_addons x join one_time_charges o on o.id = x.one_time_charge_id
               where x.service_id = ${serviceId}`)).toBe(price);
  await noSidewaysScroll(page);
});

test('a data add-on paid now by card shows its tax first and is paid for exactly that', async ({ page }, info) => {
  // A subscriber of our own, without a saved card: paying now goes through the pay page.
  const { number, id } = freshSubscriber(`7${info.project.name === 'phone' ? 1 : 0}`);
  // 100 GB at the plan's overage price with the default 50% off; the tax on it alone at the
  // address's rate, rounded half away from zero (PostgreSQL's round does the same).
  const [serviceId, price, tax, total] = sql(`
    select s.id, x.price::text, x.tax::text, (x.price + x.tax)::text
      from services s
      join plans p on p.id = s.plan_id
      join addresses ad on ad.id = s.address_id
      cross join lateral (select round(p.overage_per_gb * 100 * 0.5, 2) as price) pr
      cross join lateral (
        select pr.price,
               round(pr.price * coalesce((select t.rate from tax_rates t where t.jurisdiction_id = ad.jurisdiction_id
                                           order by t.valid_from desc limit 1), 0), 2) as tax) x
     where s.account_id = ${id}`)[0];

  await signIn(page, number);
  await page.goto('/usage');
  const payNow = page.getByTestId('buy-addon-card');
  await expect(payNow).toHaveText(`Pay ${dollars(total)} now by card`);
  await expect(page.getByTestId('buy-addon')).toHaveText(`Add to my next bill: ${dollars(price)}`);
  await expect(page.getByTestId('addon-note')).toContainText(
    `Now by card: ${dollars(price)} + ${dollars(tax)} tax = ${dollars(total)}.`,
  );
  await noSidewaysScroll(page);

  await payNow.click();
  await page.waitForURL((url) => url.pathname === '/pay' && /^\?addon=\d+$/.test(url.search));
  await ready(page);
  // Bought and posted: the balance already shows it; the amount is the add-on's, not typed.
  expect(one(`select count(*) from data_addons where service_id = ${serviceId}`)).toBe('1');
  expect(one(`select balance::text from account_balances where account_id = ${id}`)).toBe(total);
  await expect(page.getByTestId('pay-addon')).toContainText(/Paying now: Data add-on: 100\s+GB for/);
  await expect(page.getByTestId('pay-addon-amount')).toHaveText(
    `Now by card: ${dollars(price)} + ${dollars(tax)} tax = ${dollars(total)}.`,
  );
  await expect(page.getByLabel('Amount to pay')).toHaveCount(0);
  await noSidewaysScroll(page);
  await typeCard(page, '4242424242424242');
  const pay = page.getByTestId('pay-button');
  await expect(pay).toHaveText(`Pay ${dollars(total)}`);
  await pay.click();

  await page.waitForURL(/\/payments\/\d+$/);
  await expect(page.getByTestId('receipt-state')).toHaveText('Paid');
  await expect(page.getByTestId('receipt-amount')).toHaveText(dollars(total));
  await expect(page.getByTestId('receipt-for')).toHaveText(/^Data add-on: 100\s+GB for /);
  expect(
    one(`select string_agg(p.amount::text || ' ' || p.status, ', ') from payments p
          join data_addons x on x.id = p.data_addon_id where x.service_id = ${serviceId}`),
  ).toBe(`${total} succeeded`);
  expect(one(`select balance::text from account_balances where account_id = ${id}`)).toBe('0.00');
});
