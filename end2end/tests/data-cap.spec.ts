// The data cap in the browser: the usage page's forecast and its two ways out; a data add-on
// bought with one tap (a plain form, no code needed) shows on the page and in the database.
// Each project (desktop, phone) uses an account of its own that no other spec reads, since the
// add-on stays in the database.
import { test, expect } from '@playwright/test';
import { dollars, one, sql } from './db';
import { noSidewaysScroll, signIn } from './pages';

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
  await expect(buy).toHaveText(new RegExp(`^Add 100\\s+GB for ${dollars(price).replace('$', '\\$')}$`));
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
