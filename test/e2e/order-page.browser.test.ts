/**
 * The customer's order page in a real browser: Debian's Chromium driven by playwright-core (no browser
 * download). The page is opened while the café has not answered yet, and must reach "completed" by itself
 * (socket.io), without a reload. A phone-sized screenshot is saved to test-artifacts/order-page.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { chromium, type BrowserContext } from 'playwright-core';
import { Integration } from '../../src/storage/models.js';
import { createFixtureHandler } from '../support/fixture-handler.js';
import { SEED_ORDER, startTestService, type TestService } from '../support/harness.js';

jest.setTimeout(90_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
if (!available) console.log(`SKIPPED order page browser test: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
const maybe = available ? test : test.skip;

const ARTIFACTS = path.resolve('test-artifacts');
let svc: TestService;
let browser: BrowserContext;
let userDataDir: string;
let letTheCafeAnswer: () => void = () => {};
const cafeAnswered = new Promise<void>((resolve) => { letTheCafeAnswer = resolve; });
const pos = createFixtureHandler('pos', 'api', async () => {
  await cafeAnswered;
  return { kind: 'completed', orderNumber: 'DC-2001', readyInMinutes: 9 };
});

beforeAll(async () => {
  if (!available) return;
  svc = await startTestService({ extraHandlers: [pos] });
  await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'pos', priority: 1, enabled: true, config: {} });
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rouh-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
  });
});
afterAll(async () => {
  letTheCafeAnswer();
  await browser?.close();
  await svc?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

maybe('the order page follows an order from received to completed without a reload', async () => {
  const created = await svc.order({ ...SEED_ORDER, customer_phone: '+14155550123' });
  expect(created.status).toBe(201);
  const trackingUrl = (created.body.action as { trackingUrl?: string }).trackingUrl!;
  expect(trackingUrl).toMatch(new RegExp(`^${svc.baseUrl}/o/[A-Za-z0-9_-]{38}$`));

  const page = await browser.newPage();
  await page.goto(trackingUrl);
  await page.waitForSelector('#live[data-live="on"]'); // socket connected
  expect(await page.locator('#status').getAttribute('data-status')).not.toBe('completed');
  await page.evaluate(() => { (globalThis as { stillTheSamePage?: boolean }).stillTheSamePage = true; });

  letTheCafeAnswer();
  await page.waitForSelector('#status[data-status="completed"]', { timeout: 20_000 });
  expect(await page.evaluate(() => (globalThis as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);

  // What the customer sees, in words: status, timeline states, receipt, items and total.
  await expect(page.locator('#status').textContent()).resolves.toMatch(/^Confirmed/);
  const steps = await page.locator('.timeline li').allTextContents();
  expect(steps.slice(0, 3).every((s) => s.includes('(done)'))).toBe(true);
  const main = await page.locator('main').textContent();
  expect(main).toContain('DC-2001');
  expect(main).toContain('1 × Latte');
  expect(main).toContain('$8.75');
  // Accessible structure, and nothing private on the page.
  for (const landmark of ['header', 'main', 'footer']) expect(await page.locator(landmark).count()).toBe(1);
  expect(await page.locator('#announce[aria-live="polite"]').count()).toBe(1);
  const html = await page.content();
  expect(html).not.toContain('4155550123');
  expect(html).not.toContain(svc.creds.apiKey);

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'order-page.png'), fullPage: true });
  await page.close();
});

maybe('a forged or altered token shows "not found" and cannot open a live connection', async () => {
  const created = await svc.order();
  const trackingUrl = (created.body.action as { trackingUrl?: string }).trackingUrl!;
  const altered = trackingUrl.slice(0, -1) + (trackingUrl.endsWith('A') ? 'B' : 'A');
  const res = await fetch(altered);
  expect(res.status).toBe(404);
  expect(await res.text()).toContain('Order not found');
});
