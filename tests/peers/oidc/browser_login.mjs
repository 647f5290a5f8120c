// Signs in through a real headless Chromium, the way a person does, and reports what the page says.
//
//   node browser_login.mjs <start URL> <login> <password> [screenshot.png]
//
// Opens the start URL (FluxForge's /v1/auth/login/<provider>), fills in the provider's sign-in
// form, confirms consent, waits on FluxForge's /auth/complete page until it reports the outcome,
// and prints one JSON line: {"url": ..., "status": ...}. Exits non-zero when anything fails.
// Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM), with a fresh profile every run.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const [startUrl, login, password, screenshot] = process.argv.slice(2);
if (!startUrl || !login || !password) {
  console.error('usage: node browser_login.mjs <start URL> <login> <password> [screenshot.png]');
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), 'fluxforge-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  timeout: 60_000,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  await page.goto(startUrl);

  // The provider's sign-in form, then its consent screen.
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('button[type="submit"]').click();
  await page.getByRole('button', { name: 'Continue' }).click();

  // Back at FluxForge: the page trades the one-time code and says who is signed in.
  await page.waitForURL((url) => url.pathname === '/auth/complete');
  const status = page.locator('#status');
  await status.filter({ hasText: /^(Signed in as|Sign-in failed)/ }).waitFor();
  if (screenshot) {
    await page.screenshot({ path: screenshot });
  }
  console.log(JSON.stringify({ url: page.url(), status: await status.textContent() }));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
