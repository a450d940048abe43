// Outages in the browser: a support rep declares one in the console for an area (a refused
// form first: the problem beside its field, with the keyboard on it), the subscriber there
// sees it on the overview, in words a screen reader reads, and the rep ends it. Each project
// uses a subscriber of its own, alone in an area made for the test.
import { test, expect } from '@playwright/test';
import { one, sql } from './db';
import { freshSubscriber } from './accounts';
import { noSidewaysScroll, ready, signIn, staffSignIn } from './pages';

const REP = 'riley.support@example.net';

test('an outage declared for an area is on the overview of the subscriber there until it ends', async ({
  page,
  browser,
}, info) => {
  // Room for a staff sign-in that waits for a fresh authenticator code.
  test.setTimeout(90_000);
  const phone = info.project.name === 'phone';
  const subscriber = freshSubscriber(`5${phone ? 1 : 0}`);
  // Alone where postal codes start with Q and the end of the account's own number (an area
  // prefix is at most 10 characters).
  const area = `Q${subscriber.number.slice(-8)}`;
  sql(`update addresses set postal_code = '${area}' where account_id = ${subscriber.id}`);
  const title = `Fibre cut ${subscriber.number}`;

  await staffSignIn(page, REP);
  await page.goto('/staff/outages');
  await ready(page);
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('What subscribers read').fill('A contractor cut our fibre; crews expect it back tonight.');
  await page.getByLabel('An area (postal codes)').check();
  await page.getByRole('button', { name: 'Declare the outage' }).click();
  // Nothing said which area: refused beside the field, the keyboard there.
  const which = page.getByLabel('Which', { exact: true });
  await expect(which).toHaveAttribute('aria-invalid', 'true');
  await expect(which).toBeFocused();
  await expect(page.locator('#outage-scope-error')).toHaveText(/Say which area, plan or device is out/);
  expect(one(`select count(*) from outages where title = '${title}'`)).toBe('0');

  await which.fill(area);
  await page.getByRole('button', { name: 'Declare the outage' }).click();
  await expect(page.getByTestId('outage-declared')).toHaveText(/Declared: 1 service on 1 account notified/);
  const outageId = one(`select id from outages where title = '${title}'`);
  expect(one(`select count(*) from outage_services where outage_id = ${outageId}`)).toBe('1');
  expect(
    one(`select count(*) from outbound_emails where account_id = ${subscriber.id} and kind = 'outage_declared'`),
  ).toBe('1');

  // The subscriber, in a browser of their own.
  const theirs = await browser.newContext({ viewport: page.viewportSize() ?? undefined });
  const them = await theirs.newPage();
  await signIn(them, subscriber.number);
  await them.goto('/');
  await ready(them);
  const notice = them.getByTestId('outage');
  await expect(notice).toBeVisible();
  await expect(notice.getByRole('heading')).toHaveText(`Service disruption: ${title}`);
  await expect(notice).toContainText('crews expect it back tonight');
  await expect(notice).toContainText('credited a day');
  await noSidewaysScroll(them);

  // The rep ends it: the list says so, and the overview is quiet again.
  await page.goto('/staff/outages');
  await ready(page);
  const row = page.locator(`[data-outage-id="${outageId}"]`);
  await expect(row.getByTestId('outage-reach')).toHaveText('1 service on 1 account');
  await row.getByTestId('end-outage').click();
  await expect(page.locator(`[data-outage-id="${outageId}"]`)).toContainText('Ended');
  expect(one(`select (ends_at is not null)::text from outages where id = ${outageId}`)).toBe('true');
  await them.reload();
  await ready(them);
  await expect(them.getByTestId('outage')).toHaveCount(0);
  await theirs.close();
});
