// The portal in the subscriber's language: chosen on the sign-in page before signing in,
// kept after it, changed from the foot of any page; the islands (the sign-in and pay forms)
// speak it too once the page is interactive.
import { test, expect } from '@playwright/test';
import { freshSubscriber } from './accounts';
import { one, sql, PASSWORD } from './db';
import { ready } from './pages';

test('a subscriber reads the portal in Spanish, then switches to French', async ({ page }, info) => {
  const casey = freshSubscriber(`8${info.project.name === 'phone' ? 1 : 0}`);
  const email = one(`select email from portal_logins where account_id = ${casey.id}`);

  // Other specs pick subscribers by number and read English words: this one is put back.
  try {
    await page.goto('/sign-in');
    await ready(page);
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await page.getByTestId('language-es').click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'es');
    await expect(page.getByTestId('language-es')).toHaveAttribute('aria-current', 'true');
    await ready(page);

    // The sign-in form is an island: refused in Spanish, beside the field, once hydrated.
    await page.locator('#identifier').fill(email);
    await page.locator('#password').fill('not the password');
    await page.locator('form:has(#identifier) button[type="submit"]').click();
    await expect(page.getByTestId('form-error')).toContainText('contraseña');

    await page.locator('#password').fill(PASSWORD);
    await page.locator('form:has(#identifier) button[type="submit"]').click();
    await page.waitForURL((url) => url.pathname === '/');
    await ready(page);
    // Nobody chose for the login yet: this browser's choice holds, in the account's region.
    await expect(page.locator('html')).toHaveAttribute('lang', 'es-US');
    const nav = page.getByRole('navigation', { name: 'Menú principal' });
    await expect(nav.getByRole('link', { name: 'Facturas' })).toBeVisible();

    // The pay form (its own bundle) speaks Spanish and writes dollars the US way.
    await nav.getByRole('link', { name: 'Pagar' }).click();
    await ready(page);
    await page.getByLabel(/Importe|Monto|Cantidad/).fill('12.50');
    await expect(page.getByTestId('pay-button')).toContainText('$12.50');
    await expect(page.getByTestId('pay-button')).toContainText('Pagar');

    // French from the foot of the page: the same page comes back, and the login remembers.
    await page.getByTestId('language-fr').click();
    await expect(page).toHaveURL(/\/pay$/);
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr-US');
    await ready(page);
    await expect(page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Factures' })).toBeVisible();
    expect(one(`select language from portal_logins where account_id = ${casey.id}`)).toBe('fr');
  } finally {
    sql(`update portal_logins set language = null where account_id = ${casey.id}`);
  }
});
