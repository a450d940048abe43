// What every spec does with a page: wait for the islands, sign in, check the width.
import { expect, Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { one, PASSWORD } from './db';

/** Waits until the page's islands are hydrated (interactive). */
export async function ready(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** Fills and sends the sign-in form (without waiting for where it leads). */
export async function fillSignIn(page: Page, identifier: string, password: string) {
  await page.goto('/sign-in');
  await ready(page);
  await page.getByLabel('Email or account number').fill(identifier);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in and waits for the overview. */
export async function signIn(page: Page, identifier: string, password = PASSWORD) {
  await fillSignIn(page, identifier, password);
  await page.waitForURL((url) => url.pathname === '/');
  await ready(page);
}

export async function noSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, 'the page must not scroll sideways').toBeLessThanOrEqual(0);
}

/** The demo staff's authenticator secret (published for the demo's generated staff only). */
const DEMO_TOTP_SECRET = Buffer.from('lastmile-demo-totp!!');

/** The six-digit RFC 6238 code of a 30-second step, worked out here (not by the portal). */
export function totp(step: number, secret = DEMO_TOTP_SECRET): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = createHmac('sha1', secret).update(counter).digest();
  const offset = digest[19] & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/** The 30-second step the server last accepted a code of for this staff member (-1: none). */
function lastUsedStep(email: string): number {
  return Number(one(`select coalesce(totp_last_step, -1) from staff_users where email = :'p1'`, email));
}

/**
 * Signs a staff member in: password, then the authenticator's code. A code works once, and
 * every refused code counts against the sign-in limit of the address every test comes from
 * (127.0.0.1), so the code is never guessed: it is the current step's, or the next step's
 * (which the server also accepts) when this person's current one was used moments ago; when
 * both were, the next step is awaited. Refused all the same, it tries again twice.
 */
export async function staffSignIn(page: Page, email: string, password = PASSWORD) {
  for (let round = 0; round < 3; round++) {
    await page.goto('/staff/sign-in');
    await ready(page);
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/staff\/sign-in\?step=code/);
    await ready(page);
    const target = Math.max(Math.floor(Date.now() / 30_000), lastUsedStep(email) + 1);
    const wait = (target - 1) * 30_000 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait + 500);
    await page.getByLabel('Code from your authenticator app').fill(totp(target));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const outcome = await Promise.race([
      page.waitForURL((url) => url.pathname === '/staff').then(() => 'in'),
      page.getByTestId('code-error').filter({ hasText: /./ }).waitFor().then(() => 'refused'),
    ]);
    if (outcome === 'in') {
      await ready(page);
      return;
    }
  }
  throw new Error(`${email} could not sign in: every code was refused`);
}
