// Shared by the browser tests and the benchmark: Debian's Chromium through
// playwright-core (no downloaded browser), and the console under test.
import { chromium } from 'playwright-core';

export const BASE = process.env.CONSOLE_URL ?? 'http://127.0.0.1:8090';
export const ARTIFACTS = new URL('./screenshots/', import.meta.url).pathname;

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
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
