// Assurance in the browser against `recovery-console demo`: the RTO and RPO
// charts of a resource, the coverage page, a runbook (and its Markdown), a drill
// from start through approval to its report, and the evidence pack downloaded,
// opened, its HTML report rendered in Chromium and its audit export verified
// offline by the documented recipe. Screenshots land in e2e/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserPerFile, open, BASE as SHARED_BASE, ARTIFACTS, TRACKING } from '../lib.mjs';

// These tests change the demo (targets, a drill, requests, audit records):
// scripts/e2e.sh gives them a demo of their own, so that console.test.mjs sees the
// untouched demo world whatever the order. Alone, they fall back to CONSOLE_URL.
const BASE = process.env.ASSURANCE_CONSOLE_URL ?? SHARED_BASE;

const browser = browserPerFile();

/** A page signed in as a demo user (the sign-in page's buttons). */
async function as(user, errors = []) {
  const page = await open(browser(), errors);
  await page.goto(`${BASE}/sign-in`);
  await page.getByRole('button', { name: new RegExp(`^${user} ·`) }).click();
  await page.waitForURL(/\/requests$/);
  return page;
}

test('the coverage page shows coverage, its trend, what is outside target and the targets', async () => {
  const errors = [];
  const page = await as('Erin', errors);
  await page.goto(`${BASE}/assurance`);
  await page.locator('#coverage tbody tr').first().waitFor();
  assert.equal(await page.locator('h1').innerText(), 'Assurance');
  // The trend and the gaps load on their own: wait for them, not for a guess.
  // A bar per day, drawn even when it is empty (no validated test in its window yet).
  await page.locator('#coverage-trend svg rect').nth(29).waitFor({ state: 'attached' });
  assert.ok((await page.locator('#coverage-trend svg rect').count()) >= 30, 'a bar per day');
  await page.locator('.gaps', { hasText: 'mydb' }).waitFor();
  await page.locator('#targets').waitFor();
  // An admin sets a target for RDS; it shows as set in the console by erin.
  await page.getByLabel('Type or ARN').fill('RDS');
  await page.getByLabel('RPO (hours)').fill('12');
  await page.getByLabel('RTO (minutes)').fill('90');
  await page.getByRole('button', { name: 'Set target' }).click();
  await page.locator('#targets tbody tr', { hasText: 'type RDS' }).waitFor();
  assert.match(await page.locator('#targets tbody tr', { hasText: 'type RDS' }).innerText(), /12 h[\s\S]*erin/);
  assert.deepEqual(errors, []);
  await page.screenshot({ path: `${ARTIFACTS}assurance.png`, fullPage: true });
  await page.context().close();
});

test('a resource page charts its restore times and backups against the targets', async () => {
  const errors = [];
  const page = await open(browser(), errors);
  await page.goto(`${BASE}/resources?resource=${encodeURIComponent(TRACKING)}`);
  await page.locator('#rto-chart svg rect').first().waitFor();
  await page.locator('#rpo-chart svg rect').first().waitFor();
  assert.match(await page.locator('#rto-chart figcaption').innerText(), /p50 .* p95 .* target/);
  assert.match(await page.locator('#rpo-chart figcaption').innerText(), /newest backup .* central copy .* target \d+ h/);
  assert.equal(await page.locator('#rto-chart line.target').count(), 1);
  assert.deepEqual(errors, []);
  await page.locator('section.detail').evaluate((e) => e.scrollIntoView());
  await page.screenshot({ path: `${ARTIFACTS}resource-rto-rpo.png` });
  await page.context().close();
});

test('a runbook comes from the live state and exports as Markdown', async () => {
  const page = await as('Alice');
  await page.goto(`${BASE}/runbooks?resource=${encodeURIComponent(TRACKING)}&scenario=cross_account_restore`);
  await page.locator('table.facts').waitFor();
  assert.match(await page.locator('h2').first().innerText(), /Cross-account recovery through the central vault: tracking/);
  assert.match(await page.locator('table.facts').innerText(), /workload-a-recovery/);
  await page.locator('ul.checks li').first().waitFor();
  await page.getByRole('button', { name: 'Start this request' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Start this request' }).count(), 1);
  await page.getByLabel('Markdown the team keeps with this runbook').fill('Page the **on-call DBA** before switching over.');
  await page.getByRole('button', { name: 'Save notes' }).click();
  await page.getByRole('status').filter({ hasText: 'Notes saved.' }).waitFor();
  await page.screenshot({ path: `${ARTIFACTS}runbook.png`, fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export Markdown' }).click()]);
  const md = readFileSync(await download.path(), 'utf8');
  assert.match(md, /^# Cross-account recovery through the central vault: tracking/);
  assert.match(md, /on-call DBA/);
  await page.context().close();
});

test('a drill is approved by someone else, restores, validates, cleans up and reports every step', async () => {
  const alice = await as('Alice');
  await alice.goto(`${BASE}/drills?resource=${encodeURIComponent(TRACKING)}&scenario=dynamodb_restore`);
  await alice.getByLabel('Keep the restored resource (minutes)').fill('2');
  await alice.getByRole('button', { name: 'Start drill' }).click();
  await alice.waitForURL(/\/drills\/[0-9a-f-]{36}$/);
  const request = await alice.getByRole('link', { name: 'Its request' }).getAttribute('href');
  const bob = await as('Bob');
  await bob.goto(BASE + request);
  await bob.getByRole('button', { name: 'Approve these exact parameters' }).click();
  // The demo's clock runs 120 times faster: restore, validation and the retention pass in well under two minutes.
  await alice.waitForFunction(() => {
    const row = [...document.querySelectorAll('#drill-steps tbody tr')].find((r) => r.cells[0].innerText === 'Cleaned up');
    return row && row.cells[1].innerText.trim() !== '–';
  }, null, { timeout: 150000 });
  const steps = await alice.evaluate(() => [...document.querySelectorAll('#drill-steps tbody tr')].map((r) => [r.cells[0].innerText, r.cells[1].innerText.trim()]));
  assert.deepEqual(steps.map(([step]) => step), ['Requested', 'Approved', 'Job started', 'Job completed', 'Validated', 'Cleaned up']);
  for (const [step, when] of steps) assert.notEqual(when, '–', `${step} has a time`);
  assert.match(await alice.locator('#drill-figures').innerText(), /Measured RTO[\s\S]*target/);
  assert.match(await alice.locator('.toolbar .badge').first().innerText(), /passed|outside target/i);
  await alice.screenshot({ path: `${ARTIFACTS}drill-report.png`, fullPage: true });
  await alice.context().close();
  await bob.context().close();
});

test('the evidence pack downloads, opens, renders in Chromium and its audit log verifies offline', async () => {
  const page = await as('Carol');
  await page.goto(`${BASE}/audit`);
  await page.getByRole('link', { name: 'Evidence pack' }).click();
  await page.waitForURL(`${BASE}/evidence`);
  // Making a pack is a POST (with the CSRF token); the finished file is a GET that makes nothing.
  const [started] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/evidence/jobs'),
    page.getByRole('button', { name: 'Prepare the pack' }).click(),
  ]);
  assert.equal(started.request().method(), 'POST');
  assert.equal(started.status(), 202);
  const link = page.getByRole('link', { name: 'Download the pack' });
  await link.waitFor({ timeout: 60000 });
  assert.match(await link.getAttribute('href'), /^\/api\/v1\/evidence\/jobs\/[^/]+\/download$/);
  await page.screenshot({ path: `${ARTIFACTS}evidence.png`, fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const dir = mkdtempSync(join(tmpdir(), 'rc-evidence-'));
  const zip = join(dir, 'pack.zip');
  await download.saveAs(zip);
  const names = execFileSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; z.extractall(sys.argv[2]); print("\\n".join(z.namelist()))', zip, join(dir, 'pack')]).toString().split('\n');
  for (const f of ['report.html', 'manifest.json', 'audit/audit-log.ndjson', 'audit/verification.json', 'restore-tests.csv', 'drills.json']) {
    assert.ok(names.includes(f), `${f} in the pack`);
  }
  // The documented recipe: the checker in the pack, against the head in the pack.
  const head = JSON.parse(readFileSync(join(dir, 'pack/audit/verification.json'), 'utf8')).head_hash;
  const out = execFileSync('python3', [join(dir, 'pack/audit/verify-audit-export.py'), join(dir, 'pack/audit/audit-log.ndjson'), '--head', head]).toString();
  assert.match(out, new RegExp(`^valid: \\d+ records, head ${head}$`, 'm'), out);
  // The report as an auditor opens it.
  const report = await open(browser());
  await report.goto(`file://${join(dir, 'pack/report.html')}`);
  assert.equal(await report.locator('h1').innerText(), 'Backup and recovery evidence');
  assert.match(await report.locator('table').first().innerText(), /27001:2022[\s\S]*A1\.3/);
  assert.ok((await report.locator('svg.chart').count()) >= 2, 'the charts render');
  assert.match(await report.locator('body').innerText(), /audit chain verified/);
  await report.screenshot({ path: `${ARTIFACTS}evidence-report.png`, fullPage: true });
  await report.context().close();
  await page.context().close();
});

// The demo's sandbox, whose clock this test moves on (scripts/e2e.sh reads it from the demo's log).
const SANDBOX = process.env.ASSURANCE_SANDBOX_URL;
const MYDB = 'arn:aws:rds:ap-southeast-2:111111111111:db:mydb';

/** Moves the demo's sandbox clock to the next `hour`:`minute` UTC (AWS plans run on UTC here). */
async function advanceTo(hour, minute = 0) {
  const { now_ms: now } = await (await fetch(`${SANDBOX}/_sandbox/clock`)).json();
  const day = 86_400_000;
  let at = Math.floor(now / day) * day + (hour * 60 + minute) * 60_000;
  if (at <= now) at += day;
  const res = await fetch(`${SANDBOX}/_sandbox/clock/advance`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds: (at - now) / 1000 }),
  });
  assert.equal(res.status, 200);
}

/** Starts a sync from the Accounts page and waits for it to end. */
async function syncNow(page) {
  await page.goto(`${BASE}/accounts`);
  await page.getByRole('button', { name: 'Sync now' }).click();
  await page.getByRole('button', { name: 'Sync now' }).waitFor({ timeout: 60000 });
}

test('a coverage gap is added to a restore testing selection, approved, run on the clock and tested', { skip: !SANDBOX && 'ASSURANCE_SANDBOX_URL is not set (scripts/e2e.sh sets it)' }, async () => {
  const errors = [];
  const alice = await as('Alice', errors);
  await alice.goto(`${BASE}/assurance`);
  const gap = alice.locator('.gaps li', { hasText: 'mydb' });
  await gap.waitFor();
  await gap.getByRole('link', { name: 'Add to a restore testing selection' }).click();
  await alice.waitForURL(/\/requests\/new-testing\?/);
  // Prefilled: the existing plan of workload_a in its region, mydb's ARN, a selection name.
  await alice.locator('#plan option', { hasText: 'tracking_daily_restore_test' }).waitFor({ state: 'attached' });
  assert.equal(await alice.locator('#plan').inputValue(), 'tracking_daily_restore_test');
  assert.equal(await alice.locator('#arns').inputValue(), MYDB);
  assert.equal(await alice.locator('#selection-name').inputValue(), 'mydb');
  assert.match(await alice.locator('section.detail').innerText(), /mydb \(RDS\)[\s\S]*111111111111 · ap-southeast-2/);
  await alice.getByLabel('Justification').fill('mydb is a coverage gap: never restore-tested');
  await alice.screenshot({ path: `${ARTIFACTS}testing-request-form.png`, fullPage: true });
  await alice.getByRole('button', { name: 'Ask for approval' }).click();
  await alice.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
  const requestPath = new URL(alice.url()).pathname;
  await alice.locator('p.change').waitFor();
  assert.match(await alice.locator('p.change').innerText(), /Adds the selection mydb to the plan tracking_daily_restore_test in account 111111111111/);
  assert.match(await alice.locator('table.dense').innerText(), /selection\.resource_arns\s+arn:aws:rds:ap-southeast-2:111111111111:db:mydb/);
  assert.match(await alice.locator('ul.plain').first().innerText(), /plan exists[\s\S]*selection name free[\s\S]*resources known/);
  assert.equal(await alice.getByRole('button', { name: 'Approve these exact parameters' }).count(), 0, 'nobody approves their own request');
  await alice.screenshot({ path: `${ARTIFACTS}testing-request-pending.png`, fullPage: true });

  const bob = await as('Bob', errors);
  await bob.goto(BASE + requestPath);
  await bob.getByRole('button', { name: 'Approve these exact parameters' }).click();
  await bob.locator('.request-head .badge', { hasText: /succeeded/i }).waitFor({ timeout: 30000 });
  // People are shown by the subject the console checks next to their display name.
  assert.match(await bob.locator('.request-head .person .subject').innerText(), /alice/);
  assert.equal(await bob.locator('ul.plain li .person .subject', { hasText: /bob/ }).count(), 1, 'the approver by subject');
  assert.match(await bob.locator('dl.facts').first().innerText(), /Restore testing plan[\s\S]*restore-testing-plan:tracking_daily_restore_test/);
  await bob.screenshot({ path: `${ARTIFACTS}testing-request-done.png`, fullPage: true });

  // The plan runs at 18:00 UTC on the sandbox clock; an RDS restore takes up to about
  // 80 minutes. A test that fails does not count: then the next day's run is waited for.
  let tested = false;
  for (let day = 0; day < 3 && !tested; day += 1) {
    await advanceTo(20, 30);
    await syncNow(bob);
    await bob.goto(`${BASE}/assurance`);
    await bob.locator('#coverage tbody tr').first().waitFor();
    const rds = await bob.locator('#coverage tbody tr', { hasText: '111111111111' }).filter({ hasText: 'RDS' }).innerText();
    tested = /\t1 \(100%\)\t[^\t]*\t1 \(100%\)/.test(rds);
  }
  assert.ok(tested, 'mydb counts as named and tested');
  assert.equal(await bob.locator('.gaps li', { hasText: 'mydb' }).count(), 0, 'the gap is closed');
  await bob.screenshot({ path: `${ARTIFACTS}testing-gap-closed.png`, fullPage: true });
  await bob.goto(`${BASE}/restore-tests?resource_type=RDS&account_id=111111111111`);
  await bob.locator('table tbody tr').first().waitFor();
  assert.match(await bob.locator('table tbody').innerText(), /mydb/);
  await bob.screenshot({ path: `${ARTIFACTS}testing-mydb-tested.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await alice.context().close();
  await bob.context().close();
});
