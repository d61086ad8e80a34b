// Shared by the browser tests and the benchmark: Debian's Chromium through
// playwright-core (no downloaded browser), and the console under test.
import { mkdirSync } from 'node:fs';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const BASE = process.env.CONSOLE_URL ?? 'http://127.0.0.1:8090';
export const ARTIFACTS = new URL('./screenshots/', import.meta.url).pathname;
/** The demo world's DynamoDB table in workload_a. */
export const TRACKING = 'arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** One Chromium for a test file: launched before its tests (with the screenshots
 * folder made) and closed after them. Returns a getter: the browser exists only once
 * the `before` hook has run. */
export function browserPerFile() {
  let browser;
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launch();
  });
  after(async () => browser?.close());
  return () => browser;
}

/** A page on a laptop-sized screen that collects script errors. `bypassCSP` only
 * for injecting test tools (axe-core), which the console's CSP rightly refuses. */
export async function open(browser, errors = [], { bypassCSP = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'Europe/Berlin', bypassCSP });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  return page;
}

/** Waits until `check()` gives a truthy value (polled), and returns it; fails
 * naming `what` after `timeout` ms. For states the page cannot signal. */
export async function until(what, check, { timeout = 60000, every = 200 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}
