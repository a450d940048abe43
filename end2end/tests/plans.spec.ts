// Changing plans in the browser: compare, preview (the amount checked against figures worked
// out here from the database), confirm, see it on /plans and in the history; schedule a
// downgrade and cancel it. Each project (desktop, phone) uses an account of its own that no
// other spec reads, since the change stays in the database.
import { test, expect } from '@playwright/test';
import { dollars, one, sql } from './db';
import { noSidewaysScroll, ready, signIn } from './pages';

/** Postpaid accounts with one active service, out of contract, nothing scheduled, and both a
 * dearer and a cheaper plan offered at the address; from the end of the seed, away from the
 * accounts other specs use. */
function candidates(): string[][] {
  return sql(`
    select a.account_number, l.email::text, s.id, p.name, p.monthly_price
      from accounts a
      join portal_logins l on l.account_id = a.id and l.is_primary
      join services s on s.account_id = a.id and s.status = 'active'
      join addresses ad on ad.id = s.address_id
      join plans p on p.id = s.plan_id
     where a.billing_mode = 'postpaid' and a.status = 'active' and a.account_number > '10000004'
       and (select count(*) from services x where x.account_id = a.id and x.status <> 'cancelled') = 1
       and not exists (select 1 from plan_changes c where c.service_id = s.id and c.status = 'scheduled')
       and (s.contract_ends_on is null or s.contract_ends_on <= current_date)
       and exists (select 1 from plans q where q.technology = any(ad.technologies) and q.available
                     and q.billing_mode = 'postpaid' and q.currency = a.currency and q.monthly_price > p.monthly_price)
       and exists (select 1 from plans q where q.technology = any(ad.technologies) and q.available
                     and q.billing_mode = 'postpaid' and q.currency = a.currency and q.monthly_price < p.monthly_price)
     order by a.account_number desc
     limit 2`);
}

test('a plan is upgraded after its preview, and a downgrade is scheduled and cancelled', async ({ page }, info) => {
  const rows = candidates();
  const [number, email, serviceId, currentName] = rows[info.project.name === 'phone' ? 1 : 0];

  // The next dearer plan offered at the address, and the prorated charge worked out here:
  // the days from today to the end of the period already charged, at each price, rounded
  // as statement lines are.
  const [upName, upPrice] = sql(`
    select q.name, q.monthly_price from services s
      join addresses ad on ad.id = s.address_id join accounts a on a.id = s.account_id
      join plans p on p.id = s.plan_id
      join plans q on q.technology = any(ad.technologies) and q.available and q.billing_mode = 'postpaid'
                  and q.currency = a.currency and q.monthly_price > p.monthly_price
     where s.id = ${serviceId} order by q.monthly_price, q.id limit 1`)[0];
  const expected = one(`
    with f as (
      select p.monthly_price as old, (now() at time zone a.time_zone)::date as today,
             (select max(period_end) from service_charges c where c.service_id = s.id and c.kind = 'charge') as thru,
             (select max(period_start) from statements st where st.account_id = a.id) as start
        from services s join accounts a on a.id = s.account_id join plans p on p.id = s.plan_id
       where s.id = ${serviceId})
    select greatest(round(${upPrice} * (thru - today) / (thru - start), 2) - round(old * (thru - today) / (thru - start), 2), 0)
      from f`);

  await signIn(page, email);
  await page.goto('/plans');
  await expect(page.getByTestId('current-plan-name')).toHaveText(currentName);
  await noSidewaysScroll(page);
  await page.getByRole('link', { name: `Choose ${upName}` }).click();

  await expect(page.getByTestId('plan-preview')).toBeVisible();
  await expect(page.getByTestId('effective')).toHaveText('Takes effect today.');
  if (Number(expected) > 0) {
    await expect(page.getByTestId('preview-now')).toContainText(dollars(expected));
  } else {
    await expect(page.getByTestId('preview-now')).toHaveText('Nothing is charged or credited now.');
  }
  await expect(page.getByTestId('preview-next')).toBeVisible();
  await noSidewaysScroll(page);
  await page.getByTestId('confirm-change').click();

  await page.waitForURL((url) => url.pathname === '/plans' && url.search.includes('changed=applied'));
  await expect(page.getByTestId('plan-notice')).toBeVisible();
  await expect(page.getByTestId('current-plan-name')).toHaveText(upName);
  expect(one(`select p.name from services s join plans p on p.id = s.plan_id where s.id = ${serviceId}`)).toBe(upName);
  expect(one(`select count(*) from provisioning_outbox where service_id = ${serviceId} and action = 'change_plan'`)).toBe('1');

  await page.goto('/history');
  await expect(page.getByText(`Plan changed from ${currentName} to ${upName}`)).toBeVisible();

  // Back down to the plan it was on: at the next cycle, with the new plan's contract fee to
  // accept if it has one.
  await page.goto('/plans');
  await page.getByRole('link', { name: `Choose ${currentName}` }).click();
  await expect(page.getByTestId('effective')).toContainText('Takes effect on');
  const accept = page.getByTestId('accept-fee');
  if (await accept.count()) {
    await expect(page.getByTestId('etf-explain')).toBeVisible();
    await accept.check();
  }
  await noSidewaysScroll(page);
  await page.getByTestId('confirm-change').click();
  await page.waitForURL((url) => url.pathname === '/plans' && url.search.includes('changed=scheduled'));
  await expect(page.getByTestId('pending-change')).toContainText(currentName);
  await expect(page.getByTestId('current-plan-name')).toHaveText(upName);
  await noSidewaysScroll(page);

  await page.getByTestId('cancel-change').click();
  await page.waitForURL((url) => url.pathname === '/plans' && url.search.includes('cancelled'));
  await expect(page.getByTestId('pending-change')).toHaveCount(0);
  expect(one(`select status from plan_changes where service_id = ${serviceId} order by id desc limit 1`)).toBe('cancelled');
  expect(number.length).toBeGreaterThan(0);
});
