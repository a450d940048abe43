// The integration API's keys in the console: an administrator makes a key, sees its token
// once, the API answers to it, and a revoked key is refused. Each project (desktop, phone)
// makes a key of its own.
import { test, expect } from '@playwright/test';
import { noSidewaysScroll, ready, staffSignIn } from './pages';

const ADMIN = 'avery.admin@example.net';

test('an administrator makes an API key, the API answers to its token, and a revoked key is refused', async ({
  page,
  request,
}, info) => {
  test.setTimeout(120_000);
  const name = `e2e-${info.project.name}`;
  await staffSignIn(page, ADMIN);
  await page.getByRole('link', { name: 'Integrations' }).click();
  await page.waitForURL(/\/staff\/integrations$/);
  await ready(page);
  await noSidewaysScroll(page);

  const form = page.getByTestId('create-key-form');
  await form.getByLabel('System').fill('CRM');
  await form.getByLabel('Key name').fill(name);
  await form.getByLabel('Requests a minute').fill('many');
  await form.getByRole('button', { name: 'Make the key' }).click();
  await expect(page.locator('#rate_per_minute-error')).toContainText('whole number');
  // The keyboard is put on the field to mend.
  await expect(form.getByLabel('Requests a minute')).toBeFocused();
  await form.getByLabel('Requests a minute').fill('120');
  await form.getByRole('button', { name: 'Make the key' }).click();
  const token = (await page.getByTestId('new-token').first().textContent()) ?? '';
  expect(token).toMatch(/^lmk_[0-9A-Za-z]{40}$/);

  const plans = await request.get('/api/v1/plans', { headers: { Authorization: `Bearer ${token}` } });
  expect(plans.status()).toBe(200);
  expect((await plans.json()).data.length).toBeGreaterThan(0);

  // Listed by its prefix; revoked from its row.
  await page.reload();
  await ready(page);
  const row = page.getByTestId('api-key').filter({ hasText: `CRM · ${name}` });
  await expect(row).toContainText(token.slice(0, 12));
  await row.getByTestId('revoke-key').click();
  await expect(row.getByTestId('revoked-notice')).toBeVisible();
  const refused = await request.get('/api/v1/plans', { headers: { Authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  expect(refused.headers()['content-type']).toBe('application/problem+json');
});

test('an administrator subscribes an address to webhooks, sees its secret once, rotates it and disables it', async ({
  page,
}, info) => {
  test.setTimeout(120_000);
  const system = `Hooks-${info.project.name}`;
  const url = `https://hooks.example.net/lastmile-${info.project.name}`;
  await staffSignIn(page, ADMIN);
  await page.goto('/staff/integrations');
  await ready(page);

  // An integration exists once it has a key.
  const keyForm = page.getByTestId('create-key-form');
  await keyForm.getByLabel('System').fill(system);
  await keyForm.getByLabel('Key name').fill('webhooks');
  await keyForm.getByRole('button', { name: 'Make the key' }).click();
  await expect(page.getByTestId('new-token').first()).toBeVisible();

  const form = page.getByTestId('create-webhook-form');
  await form.getByLabel('System').fill(system);
  await form.getByLabel('Address').fill('http://hooks.example.net/plain');
  await form.getByLabel('Events').fill('account.created');
  // Submitted from the keyboard (Enter, the phone's Go key): at the page's very end the
  // emulated phone's visual viewport, moved by the focused field, sits off the layout
  // viewport, so a synthetic tap lands on the field above the button.
  await form.getByLabel('Events').press('Enter');
  await expect(page.locator('#webhook-url-error')).toContainText('https://');
  await form.getByLabel('Address').fill(url);
  await form.getByLabel('Events').fill('account.created, payment.refunded');
  await form.getByLabel('Events').press('Enter');
  await expect(page.locator('#webhook-events-error')).toContainText('payment.refunded');
  await form.getByLabel('Events').fill('account.created, service.activated');
  await form.getByLabel('Events').press('Enter');
  const secret = (await page.getByTestId('new-secret').first().textContent()) ?? '';
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

  // Listed (never with its secret), nothing sent yet; a new secret, then disabled.
  await page.reload();
  await ready(page);
  await noSidewaysScroll(page);
  const row = page.getByTestId('webhook').filter({ hasText: url });
  await expect(row).toContainText('account.created, service.activated');
  await expect(row).toContainText('Nothing sent yet.');
  await expect(page.locator('body')).not.toContainText(secret);
  await row.getByTestId('rotate-secret').click();
  const rotated = (await row.getByTestId('new-secret').textContent()) ?? '';
  expect(rotated).toMatch(/^whsec_/);
  expect(rotated).not.toBe(secret);
  await row.getByTestId('disable-webhook').click();
  await expect(row.getByTestId('disabled-notice')).toBeVisible();
  await page.reload();
  await ready(page);
  await expect(page.getByTestId('webhook').filter({ hasText: url })).toContainText('Disabled');
});
