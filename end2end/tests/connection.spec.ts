// A service's connection (network credentials) in the browser: the subscriber sees the
// username on the plans page, shows the password and chooses a new one after their portal
// password, with errors beside the fields; a support rep reveals and resets it in the
// console. Each project uses a subscriber of its own, made for the test.
import { test, expect } from '@playwright/test';
import { one, PASSWORD } from './db';
import { freshSubscriber } from './accounts';
import { noSidewaysScroll, ready, signIn, staffSignIn } from './pages';

const START = 'Start-Pass-42';

/** A fresh subscriber whose service has PPPoE credentials. */
function withConnection(tag: string) {
  const subscriber = freshSubscriber(tag);
  const serviceId = one(`select id from services where account_id = ${subscriber.id}`);
  const username = `e2e-${serviceId}@net.example`;
  one(`
    insert into network_credentials (service_id, account_id, kind, username, password)
    values (${serviceId}, ${subscriber.id}, 'pppoe', '${username}', '${START}')
    on conflict (service_id) do update
       set kind = 'pppoe', username = excluded.username, password = excluded.password
    returning service_id`);
  const email = one(`select email::text from portal_logins where account_id = ${subscriber.id}`);
  return { ...subscriber, serviceId, username, email };
}

const stored = (serviceId: string) =>
  one(`select password from network_credentials where service_id = ${serviceId}`);

test('a subscriber shows their connection password and chooses a new one', async ({ page }, info) => {
  const c = withConnection(info.project.name === 'phone' ? '72' : '71');
  await signIn(page, c.email);
  await page.goto('/plans');
  await ready(page);
  const section = page.getByTestId('connection');
  await expect(section.getByTestId('connection-username')).toHaveText(c.username);
  await expect(page.locator('body')).not.toContainText(START);
  await noSidewaysScroll(page);

  const reveal = section.getByTestId('reveal-form');
  await reveal.getByLabel('Your portal password').fill('not-my-password');
  await reveal.getByRole('button', { name: 'Show the password' }).click();
  await expect(section.getByTestId('reveal-current_password-error')).toHaveText('That is not your portal password.');
  await expect(reveal.getByLabel('Your portal password')).toBeFocused();
  // The other form refused while this one still shows its error: the keyboard goes to the
  // refused form's own first problem, not to the first one on the page.
  const change = section.getByTestId('change-form');
  await change.getByLabel('Your portal password').fill(PASSWORD);
  await change.getByLabel('New connection password').fill('Maple-Grove-7');
  await change.getByLabel('The new password again').fill('Maple-Grove-8');
  await change.getByRole('button', { name: 'Change the password' }).click();
  await expect(section.getByTestId('confirm-error')).toHaveText("The two passwords don't match.");
  await expect(change.getByLabel('The new password again')).toBeFocused();
  await reveal.getByLabel('Your portal password').fill(PASSWORD);
  await reveal.getByRole('button', { name: 'Show the password' }).click();
  await expect(section.getByTestId('connection-password')).toHaveText(START);

  // Each change waits for the server's answer, so that an error still on the page from the
  // try before is never taken for this one's.
  const send = async (current: string, next: string, again: string) => {
    await change.getByLabel('Your portal password').fill(current);
    await change.getByLabel('New connection password').fill(next);
    await change.getByLabel('The new password again').fill(again);
    const answered = page.waitForResponse(
      (r) => r.request().method() === 'POST' && r.url().includes('/api/change-connection-password'),
    );
    await change.getByRole('button', { name: 'Change the password' }).click();
    await answered;
  };
  await send(PASSWORD, 'Maple-Grove-7', 'Maple-Grove-8');
  await expect(section.getByTestId('confirm-error')).toHaveText("The two passwords don't match.");
  await send(PASSWORD, '12345678', '12345678');
  await expect(section.getByTestId('new_password-error')).toContainText('12345678');
  expect(stored(c.serviceId)).toBe(START);
  await send(PASSWORD, 'Maple-Grove-7', 'Maple-Grove-7');
  await expect(section.getByTestId('connection-new-password')).toHaveText('Maple-Grove-7');
  await expect(section.getByTestId('new_password-error')).toBeEmpty();
  expect(stored(c.serviceId)).toBe('Maple-Grove-7');
  await noSidewaysScroll(page);
  expect(one(`select count(*) from audit_log where subject_account_id = ${c.id} and action = 'network.password_changed'`)).toBe('1');
});

test('a support rep reveals and resets a connection password from the console', async ({ page }, info) => {
  test.setTimeout(120_000);
  const c = withConnection(info.project.name === 'phone' ? '74' : '73');
  await staffSignIn(page, 'riley.support@example.net');
  await page.goto(`/staff/accounts/${c.id}`);
  await ready(page);
  const line = page.getByTestId('connection');
  await expect(line.getByTestId('connection-kind')).toHaveText('PPPoE');
  await expect(line.getByTestId('connection-username')).toHaveText(c.username);
  await expect(page.locator('body')).not.toContainText(START);

  await line.getByRole('button', { name: 'Reveal password' }).click();
  await expect(line.getByTestId('revealed-password')).toHaveText(START);
  await line.getByRole('button', { name: 'Reset password' }).click();
  const fresh = line.getByTestId('reset-password');
  await expect(fresh).toHaveText(/^[A-Za-z2-9]{16}$/);
  expect(stored(c.serviceId)).toBe(await fresh.textContent());
  expect(one(`select string_agg(action, ',' order by id) from audit_log
               where subject_account_id = ${c.id} and action like 'network.%'`))
    .toBe('network.password_revealed,network.password_reset');
});
