// Sign-in security in the browser: a subscriber sets up an authenticator app from the page
// the footer links to (the key shown, a code from it, ten recovery codes shown once), then
// signing in asks for its code after the password: a wrong one is refused beside the field
// with the keyboard on it, the right one opens the overview. Each project uses a subscriber
// of its own, made for the test.
import { test, expect } from '@playwright/test';
import { one, PASSWORD } from './db';
import { freshSubscriber } from './accounts';
import { fillSignIn, noSidewaysScroll, ready, signIn, totp } from './pages';

/** RFC 4648 base32 (as authenticator apps take a key) to bytes, worked out here. */
function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.replace(/=+$/, '')) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

test('an authenticator app set up from the footer is asked for after the password', async ({ page }, info) => {
  const subscriber = freshSubscriber(`6${info.project.name === 'phone' ? 1 : 0}`);
  await signIn(page, subscriber.number);
  await page.getByTestId('security-link').click();
  await page.waitForURL(/\/security$/);
  await ready(page);
  await expect(page.getByTestId('security-state')).toHaveText('Only your password is asked for when you sign in.');
  await page.getByTestId('start-authenticator').click();
  const key = (await page.getByTestId('authenticator-key').textContent())!.trim();
  const secret = base32(key);
  expect(secret.length).toBe(20);
  const step = Math.floor(Date.now() / 30_000);
  await page.getByLabel('Code the app shows').fill(totp(step, secret));
  await page.getByTestId('confirm-authenticator').click();
  await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
  await noSidewaysScroll(page);
  expect(
    one(`select (totp_enabled_at is not null)::text from portal_logins where account_id = ${subscriber.id}`),
  ).toBe('true');

  // Signing in again: the password, then the code.
  await page.context().clearCookies();
  await fillSignIn(page, subscriber.number, PASSWORD);
  await page.waitForURL(/\/sign-in\?step=code/);
  await ready(page);
  const code = page.getByLabel('Code from your authenticator app');
  await code.fill('000000' === totp(step + 1, secret) ? '111111' : '000000');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(code).toHaveAttribute('aria-invalid', 'true');
  await expect(code).toBeFocused();
  await expect(page.getByTestId('code-error')).toHaveText(/not right, or was already used/);
  await code.fill(totp(step + 1, secret));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await ready(page);
  await expect(page.getByTestId('balance')).toBeVisible();
});
