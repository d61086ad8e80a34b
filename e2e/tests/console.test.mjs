// The web console in headless Chromium against `recovery-console demo`: every
// page loads with the demo world, filters live in the URL, deep links work, the
// keyboard reaches everything, and axe-core finds no serious or critical issue.
// Screenshots of each page land in e2e/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { browserPerFile, open, until, BASE, ARTIFACTS, TRACKING } from '../lib.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

const browser = browserPerFile();

const PAGES = [
  { name: 'overview', path: '/', heading: 'Overview', ready: 'table.failures tbody tr' },
  { name: 'accounts', path: '/accounts', heading: 'Accounts', ready: 'tbody tr' },
  { name: 'recovery-points', path: '/recovery-points', heading: 'Recovery points', ready: 'tbody tr' },
  { name: 'resources', path: '/resources', heading: 'Protected resources', ready: 'tbody tr' },
  { name: 'restore-tests', path: '/restore-tests', heading: 'Restore tests', ready: 'table.tests tbody tr' },
  { name: 'jobs', path: '/jobs', heading: 'Jobs', ready: 'tbody tr' },
];

async function visit(path, errors = [], options = {}) {
  const page = await open(browser(), errors, options);
  await page.goto(BASE + path);
  return page;
}

async function rows(page) {
  return page.locator('main table tbody tr').allInnerTexts();
}

test('every page loads with the demo world, without script errors', async () => {
  for (const p of PAGES) {
    const errors = [];
    const page = await visit(p.path, errors);
    await page.locator(p.ready).first().waitFor();
    assert.equal(await page.locator('h1').innerText(), p.heading);
    assert.ok((await rows(page)).length > 0, `${p.path} shows rows`);
    assert.equal(await page.locator('.error').count(), 0, `${p.path} shows no error`);
    assert.deepEqual(errors, [], `${p.path}: ${errors.join('; ')}`);
    await page.screenshot({ path: `${ARTIFACTS}${p.name}.png`, fullPage: p.name === 'overview' });
    await page.context().close();
  }
});

test('the binary started from an empty folder serves the web UI built into it', { skip: !process.env.CONSOLE_CWD && 'CONSOLE_CWD is not set (scripts/e2e.sh starts the demo in an empty folder)' }, async () => {
  assert.deepEqual(readdirSync(process.env.CONSOLE_CWD), [], 'the demo runs from a folder with nothing in it');
  const errors = [];
  const page = await visit('/resources', errors);
  await page.locator('tbody tr').first().waitFor();
  assert.equal(await page.locator('h1').innerText(), 'Protected resources', 'a deep link loads the app');
  const wasm = await page.request.get(`${BASE}/frontend_bg.wasm`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(wasm.status(), 200);
  assert.equal(wasm.headers()['content-type'], 'application/wasm');
  assert.equal(wasm.headers()['content-encoding'], 'gzip', 'the pre-compressed copy');
  const again = await page.request.get(`${BASE}/frontend_bg.wasm`, { headers: { 'if-none-match': wasm.headers().etag } });
  assert.equal(again.status(), 304, 'an unchanged file is not sent again');
  assert.deepEqual(errors, []);
  await page.context().close();
});

// README: "Every answer carries strict security headers and a CSP". Not only the
// API: the app's page, a deep link, static files, a 304 and error answers too.
test('every answer carries the strict security headers, errors and static files included', async () => {
  const wasm = await fetch(`${BASE}/frontend_bg.wasm`);
  const answers = {
    'the app': await fetch(`${BASE}/`),
    'a deep link': await fetch(`${BASE}/resources?resource=x`),
    'a static file': await fetch(`${BASE}/style.css`),
    'the WebAssembly': wasm,
    'a 304': await fetch(`${BASE}/frontend_bg.wasm`, { headers: { 'if-none-match': wasm.headers.get('etag') } }),
    'the API': await fetch(`${BASE}/api/v1/summary`),
    'an unknown API path': await fetch(`${BASE}/api/v1/no-such-thing`),
    'a bad parameter': await fetch(`${BASE}/api/v1/recovery-points?limit=abc`),
    'a change without signing in': await fetch(`${BASE}/api/v1/sync`, { method: 'POST' }),
  };
  const statuses = Object.fromEntries(Object.entries(answers).map(([k, r]) => [k, r.status]));
  assert.deepEqual(statuses, {
    'the app': 200, 'a deep link': 200, 'a static file': 200, 'the WebAssembly': 200, 'a 304': 304, 'the API': 200,
    'an unknown API path': 404, 'a bad parameter': 400, 'a change without signing in': 401,
  });
  for (const [what, r] of Object.entries(answers)) {
    const h = (name) => r.headers.get(name);
    const csp = h('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) {
      assert.ok(csp.split(/;\s*/).includes(directive), `${what}: CSP has ${directive} (${csp})`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|\*/, `${what}: CSP allows no inline code and no wildcard`);
    assert.equal(h('x-content-type-options'), 'nosniff', what);
    assert.equal(h('x-frame-options'), 'DENY', what);
    assert.equal(h('referrer-policy'), 'same-origin', what);
    assert.equal(h('cross-origin-opener-policy'), 'same-origin', what);
    assert.match(h('permissions-policy') ?? '', /camera=\(\)/, what);
    // The demo serves plain HTTP (cookie_secure = false): no HSTS there.
    assert.equal(h('strict-transport-security'), null, what);
  }
});

test('filters change the URL and the rows, and a cleared filter brings them back', async () => {
  const page = await visit('/recovery-points');
  await page.locator('tbody tr').first().waitFor();
  const all = await rows(page);
  await page.selectOption('#filter-resource_type', 'RDS');
  await page.waitForURL(/resource_type=RDS/);
  // `every` is true on an empty table: the rows must also be there.
  await page.waitForFunction(() => {
    const shown = [...document.querySelectorAll('main tbody tr')];
    return shown.length > 0 && shown.every((r) => r.innerText.includes('RDS'));
  });
  const rds = await rows(page);
  assert.ok(rds.length > 0 && rds.every((r) => r.includes('RDS') && !r.includes('DynamoDB')));

  // The account is a typeahead: choosing fills in the account id.
  await page.getByRole('combobox', { name: 'Account' }).fill('222222222222');
  await page.waitForURL(/account_id=222222222222/);
  assert.match(page.url(), /resource_type=RDS/, 'the first filter stays');
  await page.waitForFunction(() => {
    const shown = [...document.querySelectorAll('main tbody tr')];
    return shown.length > 0 && shown.every((r) => r.innerText.includes('222222222222'));
  });
  const both = await rows(page);
  assert.ok(both.length > 0 && both.every((r) => r.includes('222222222222') && r.includes('RDS')), 'both filters apply');

  await page.getByRole('link', { name: 'Clear filters' }).click();
  await page.waitForURL(`${BASE}/recovery-points`);
  await page.waitForFunction((n) => document.querySelectorAll('main tbody tr').length === n, all.length);

  // Paging lives in the URL too.
  await page.getByRole('link', { name: 'Next page' }).click();
  await page.waitForURL(/cursor=/);
  // The next page replaces the first one's rows once it has loaded.
  await page.waitForFunction((first) => {
    const row = document.querySelector('main tbody tr');
    return row && row.innerText !== first;
  }, all[0], { timeout: 30000 });
  assert.notDeepEqual(await rows(page), all);
  await page.context().close();
});

test("the failed restore test of tracking shows with its message", async () => {
  const page = await visit('/');
  const failures = page.locator('table.failures tbody tr');
  await failures.first().waitFor();
  const text = (await failures.allInnerTexts()).join('\n');
  assert.match(text, /tracking/);
  assert.match(text, /validation failed/);
  // The console's own validator failed it: the restored table was empty.
  assert.match(text, /Recovery Console: check failed: at least 1000 items: Scan counted 0 items/);

  await page.getByRole('link', { name: 'Every failed restore test' }).click();
  await page.waitForURL(/\/restore-tests\?outcome=failed/);
  await page.locator('table.tests tbody tr').first().waitFor();
  const tests = await rows(page);
  // Failed: a failed restore or validation, or a test that missed its start window (aborted).
  assert.ok(tests.length > 0 && tests.every((r) => /tracking/.test(r) && /failed|timed out|aborted/.test(r)));
  assert.ok(tests.some((r) => r.includes('Scan counted 0 items')));
  await page.context().close();
});

test('a deep link opened directly shows the same view', async () => {
  const detail = `/resources?resource=${encodeURIComponent(TRACKING)}`;
  let page = await visit(detail);
  await page.getByRole('heading', { name: 'History of tracking' }).waitFor();
  await page.locator('ol.timeline li').nth(10).waitFor();
  assert.ok((await page.locator('ol.timeline li').count()) > 10);
  assert.match(await page.locator('ol.timeline').innerText(), /restore test/);
  await page.context().close();

  page = await visit('/jobs?kind=restore&status=FAILED');
  await page.locator('tbody tr').first().waitFor();
  assert.equal(await page.locator('#filter-status').inputValue(), 'FAILED');
  assert.equal(await page.locator('.tabs a[aria-current="page"]').innerText(), 'Restore jobs');
  const failed = await rows(page);
  assert.ok(failed.length > 0 && failed.every((r) => r.includes('failed')));
  await page.context().close();

  // A recovery point's detail, with the restore metadata AWS reports.
  page = await visit('/recovery-points?account_id=222222222222&resource_type=DynamoDB');
  await page.locator('tbody tr a').first().click();
  await page.waitForURL(/selected=/);
  const url = page.url();
  await page.context().close();
  page = await visit(url.slice(BASE.length));
  await page.getByRole('heading', { name: 'Restore metadata (from AWS)' }).waitFor();
  const facts = await page.locator('section.detail').innerText();
  assert.match(facts, /originalTableName/);
  assert.match(facts, /arn:aws:kms:/, 'the encryption key');
  assert.match(facts, /workload-a-vault/, 'the source vault of the copy');
  await page.context().close();

  page = await visit('/no-such-page');
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await page.context().close();
});

test('the keyboard alone signs in, reaches the pages and the sync button', async () => {
  const page = await visit('/');
  await page.locator('table.failures tbody tr').first().waitFor();
  assert.match(await page.locator('.demo-banner').innerText(), /Demo.*without SSO/, 'every page says it is a demo');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'choose a demo user');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${BASE}/sign-in`);
  await page.getByRole('button', { name: 'Alice · operator' }).waitFor();
  // Tab to Alice's button, then Enter.
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate(() => document.activeElement.textContent)) === 'Alice · operator') break;
  }
  await page.keyboard.press('Enter');
  await page.waitForURL(`${BASE}/requests`);
  await page.locator('header .who', { hasText: 'Alice (operator)' }).waitFor();
  // Through the navigation to Accounts, then Enter.
  await page.keyboard.press('Tab');
  for (let i = 0; i < 6; i++) {
    if ((await page.evaluate(() => document.activeElement.textContent)) === 'Accounts') break;
    await page.keyboard.press('Tab');
  }
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Accounts');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${BASE}/accounts`);
  // Enter on "Sync now" must start a sync (POST /api/v1/sync, 202) and the status
  // must then name a later finish. The demo also syncs on its own every 20 s: while
  // that one runs the button is disabled or the POST answers 409, so try again.
  const sync = page.getByRole('button', { name: 'Sync now' });
  const status = page.getByRole('status').filter({ hasText: /Last sync: \d+ account-regions, \d+ failed, finished/ });
  let before, answer;
  for (let attempt = 0; attempt < 3 && answer?.status() !== 202; attempt++) {
    await until('the Sync now button to be enabled', () => sync.isEnabled(), { timeout: 30000 });
    await status.waitFor({ timeout: 30000 });
    before = await status.locator('time').getAttribute('datetime');
    await sync.focus();
    [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${BASE}/api/v1/sync` && r.request().method() === 'POST', { timeout: 10000 }),
      page.keyboard.press('Enter'),
    ]);
  }
  assert.equal(answer.status(), 202, 'the key press started a sync');
  const after = await until('the status to show a newer finished time', async () => {
    const at = await status.locator('time').getAttribute('datetime', { timeout: 1000 });
    return at !== before && at;
  }, { timeout: 30000 });
  assert.ok(Date.parse(after) > Date.parse(before), `finished ${after}, after ${before}`);
  await page.context().close();
});

/** Europe/Berlin's offset at a time, as the console writes it ("UTC+01:00"). */
function berlin(date) {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', timeZoneName: 'longOffset' }).formatToParts(date);
  return parts.find((p) => p.type === 'timeZoneName').value.replace('GMT', 'UTC');
}

test("times show in UTC and, on request, in the viewer's zone", async () => {
  const page = await visit('/restore-tests');
  await page.locator('table.tests tbody tr').first().waitFor();
  const first = page.locator('table.tests tbody tr time').first();
  assert.match(await first.innerText(), /UTC$/);
  // Berlin's offset at that time and now (+01:00 in winter, +02:00 in summer).
  const at = berlin(new Date(await first.getAttribute('datetime')));
  const now = berlin(new Date());
  assert.ok((await first.getAttribute('title')).endsWith(at), `the other zone in the tooltip (Europe/Berlin, ${at})`);
  await page.getByRole('button', { name: `Times: UTC (switch to ${now})`, exact: true }).click();
  assert.ok((await first.innerText()).endsWith(at));
  await page.reload();
  await page.locator('table.tests tbody tr').first().waitFor();
  assert.ok((await page.locator('table.tests tbody tr time').first().innerText()).endsWith(at), 'the choice is kept');
  await page.context().close();
});

test('axe-core finds no serious or critical accessibility violation', async () => {
  const paths = [
    ...PAGES,
    { name: 'detail', path: `/resources?resource=${encodeURIComponent(TRACKING)}`, ready: '#rpo-chart svg rect' },
    { name: 'assurance', path: '/assurance', ready: '#coverage tbody tr' },
    { name: 'drills', path: '/drills', ready: 'form.inline-form' },
    { name: 'evidence', path: '/evidence', ready: 'form.inline-form' },
  ];
  for (const p of paths) {
    const page = await visit(p.path, [], { bypassCSP: true });
    await page.locator(p.ready).first().waitFor();
    await page.addScriptTag({ path: AXE });
    const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(
      bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
      [],
      p.path,
    );
    await page.context().close();
  }
});
