// What a first visit downloads: each subscriber page loads one bundle, the portal's or (on the
// card payment pages and the plans page) the payments', within the 200 KB budget (JS + WebAssembly + CSS, as sent
// compressed); the staff console loads its own. Sizes are deterministic for a build, so this is
// a test, not a benchmark.
import { test, expect, Browser, BrowserContext, Page } from '@playwright/test';
import { ready, signIn, staffSignIn } from './pages';

/** The subscriber's first load, JS + WebAssembly + CSS as sent (compressed). */
const PORTAL_BUDGET = 200 * 1024;
/**
 * The staff console's first load: a budget of its own (staff use desktops on the office network;
 * the product's 200 KB is the subscriber's). Raised from 250 KB to 260 KB for the outage
 * declaration form (about 10 KB: each form island with its own server function costs that),
 * after the buttons that need no field errors (ending an outage, turning off an authenticator)
 * were made plain forms instead: 251.8 KB as measured then.
 */
const CONSOLE_BUDGET = 260 * 1024;

type Load = Map<string, number>;

/** Opens `path` in a context with an empty cache and the given session, and returns each
 * `/pkg/` file downloaded with its size on the wire (the encoded body). */
async function firstLoad(browser: Browser, from: BrowserContext | null, path: string): Promise<Load> {
  const context = await browser.newContext({
    baseURL: test.info().project.use.baseURL,
    storageState: from ? await from.storageState() : undefined,
  });
  const page = await context.newPage();
  const sizes: Promise<[string, number]>[] = [];
  page.on('requestfinished', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/pkg/')) {
      sizes.push(request.sizes().then((s) => [url.pathname.slice(5), s.responseBodySize]));
    }
  });
  await page.goto(path);
  await ready(page);
  const load = new Map(await Promise.all(sizes));
  await context.close();
  return load;
}

const total = (load: Load) => [...load.values()].reduce((a, b) => a + b, 0);
const describe = (load: Load) => [...load].map(([f, n]) => `${f} ${(n / 1024).toFixed(1)} KB`).join(', ');

async function signedInSubscriber(page: Page) {
  await signIn(page, 'sam.taylor@example.net');
}

test('a subscriber first load is one bundle, within 200 KB compressed', async ({ browser, page }) => {
  await signedInSubscriber(page);
  const pages: [string, string][] = [
    ['/sign-in', 'lastmile'],
    ['/', 'lastmile'],
    ['/statements', 'lastmile'],
    ['/support', 'lastmile'],
    ['/pay', 'lastmile-pay'],
    ['/cards', 'lastmile-pay'],
    ['/plans', 'lastmile-pay'],
    ['/security', 'lastmile-account'],
  ];
  for (const [path, bundle] of pages) {
    const load = await firstLoad(browser, path === '/sign-in' ? null : page.context(), path);
    const names = [...load.keys()].sort();
    expect(names, `${path} loads the ${bundle} bundle`).toEqual([`${bundle}.js`, `${bundle}_bg.wasm`, 'lastmile.css'].sort());
    expect(load.get(`${bundle}_bg.wasm`)!, `${path}: the WebAssembly is sent`).toBeGreaterThan(10_000);
    expect(total(load), `${path}: ${describe(load)}`).toBeLessThanOrEqual(PORTAL_BUDGET);
  }
});

test('the staff console loads its own bundle, within its budget', async ({ browser, page }) => {
  test.setTimeout(120_000);
  await staffSignIn(page, 'riley.support@example.net');
  const load = await firstLoad(browser, page.context(), '/staff');
  const names = [...load.keys()].sort();
  expect(names).toEqual(['lastmile-console.js', 'lastmile-console_bg.wasm', 'lastmile.css']);
  expect(total(load), describe(load)).toBeLessThanOrEqual(CONSOLE_BUDGET);
});
