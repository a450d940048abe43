// What every spec does with a page: wait for the islands, sign in, check the width.
import { expect, Page } from '@playwright/test';
import { PASSWORD } from './db';

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
