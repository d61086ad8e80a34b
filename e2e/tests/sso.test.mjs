// Four eyes through SSO (oidc-provider), in the browser: an operator signs in and
// asks for a restore of `tracking`; an approver signs in and approves the exact
// parameters; the console runs the job in the sandbox exactly once (counted there
// with the AWS CLI), whose world then holds the new table; the auditor's page
// shows every step and a valid chain. A cross-account restore from the `backup`
// account's vault into workload_a runs too, with one copy and one restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { browserPerFile, open, until, ARTIFACTS } from '../lib.mjs';

const CONSOLE = process.env.SSO_CONSOLE_URL;
const SANDBOX = process.env.SANDBOX_URL;
// Run alone (npm test) without the SSO console these tests skip; in CI a skip would
// pass the four-eyes flow unseen, so there it is an error.
if (process.env.CI && !(CONSOLE && SANDBOX)) {
  throw new Error('SSO_CONSOLE_URL and SANDBOX_URL must be set in CI (scripts/e2e.sh starts the console with SSO)');
}
const skip = !CONSOLE && 'SSO_CONSOLE_URL is not set (scripts/e2e.sh starts the console with SSO)';
const STAMP = Date.now().toString(36);

const browser = browserPerFile();

/** Signs in through the provider's login and consent pages; returns the page. */
async function signIn(who) {
  const page = await open(browser());
  await page.goto(`${CONSOLE}/sign-in`);
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.locator('input[name="login"]').fill(who);
  await page.locator('input[name="password"]').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  // The provider asks for consent the first time a person signs in, and not after:
  // wait for whichever comes, the consent page or the console.
  const consent = page.getByRole('button', { name: 'Continue' });
  const arrived = page.waitForURL(`${CONSOLE}/requests`, { timeout: 60000 }).then(() => 'console', () => null);
  const asked = consent.waitFor({ timeout: 60000 }).then(() => 'consent', () => null);
  if ((await Promise.race([arrived, asked])) === 'consent') await consent.click();
  await page.waitForURL(`${CONSOLE}/requests`);
  return page;
}

async function sandboxTables() {
  const body = await (await fetch(`${SANDBOX}/_sandbox/resources`)).json();
  return body.resources;
}

/** Runs the AWS CLI against the sandbox (as scripts/check-aws-cli.sh does), as
 * the hub account or with the given credentials, and parses its JSON. */
function aws(args, credentials = null) {
  const env = {
    ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '',
    AWS_DEFAULT_REGION: 'ap-southeast-2', AWS_ACCESS_KEY_ID: 'AKIAE2ECHECK00000001', AWS_SECRET_ACCESS_KEY: 'e2e',
  };
  for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ENDPOINT_URL']) delete env[k];
  if (credentials) {
    env.AWS_ACCESS_KEY_ID = credentials.AccessKeyId;
    env.AWS_SECRET_ACCESS_KEY = credentials.SecretAccessKey;
    env.AWS_SESSION_TOKEN = credentials.SessionToken;
  }
  return JSON.parse(execFileSync('aws', ['--endpoint-url', SANDBOX, '--output', 'json', ...args], { env }).toString());
}

/** AWS Backup's jobs of one kind (`restore` or `copy`) in an account, as its read
 * role lists them (the CLI follows every page). */
function jobsIn(account, kind) {
  const role = `arn:aws:iam::${account}:role/RecoveryConsoleRead`;
  const { Credentials } = aws(['sts', 'assume-role', '--role-arn', role, '--role-session-name', 'e2e-check']);
  const listed = aws(['backup', `list-${kind}-jobs`], Credentials);
  return kind === 'restore' ? listed.RestoreJobs : listed.CopyJobs;
}

/** The restore jobs of a recovery point that people started (a restore test's CreatedBy
 * names its restore testing plan; a manual restore's CreatedBy holds none). */
function restoresOf(account, recoveryPointArn) {
  return jobsIn(account, 'restore').filter((j) => j.RecoveryPointArn === recoveryPointArn && !j.CreatedBy?.RestoreTestingPlanArn);
}

/** The request as the API gives it (with the page's session). */
async function requestOf(page, url) {
  const id = url.split('/').pop();
  const res = await page.request.get(`${CONSOLE}/api/v1/requests/${id}`);
  assert.equal(res.status(), 200);
  return res.json();
}

/** Opens the newest recovery point of a type (tracking's by default) in an account,
 * as the operator would. */
async function requestFrom(page, account, fill, type = 'DynamoDB', status = 'COMPLETED') {
  // The console's first sync may still be running.
  const filter = `account_id=${account}&resource_type=${type}&status=${status}`;
  const list = `${CONSOLE}/api/v1/recovery-points?${filter}&limit=1`;
  await until(`a synced ${type} recovery point of ${account}`, async () => (await (await page.request.get(list)).json()).items?.length);
  await page.goto(`${CONSOLE}/recovery-points?${filter}`);
  await page.locator('main tbody tr a').first().click();
  await page.getByRole('link', { name: 'Request a restore' }).click();
  await page.waitForURL(/\/requests\/new/);
  await fill(page);
  await page.getByRole('button', { name: 'Ask for approval' }).click();
  const done = page.waitForURL(/\/requests\/[0-9a-f-]{36}$/).then(() => null);
  const refused = page.locator('form .error').waitFor().then(() => page.locator('form .error').innerText());
  const problem = await Promise.race([done, refused]);
  assert.equal(problem, null, `the console refused the request: ${problem}`);
  return page.url();
}

async function approveAndWait(approver, url, name) {
  await approver.goto(`${CONSOLE}/requests`);
  await approver.goto(url);
  await approver.getByRole('button', { name: 'Approve these exact parameters' }).click();
  await approver.locator('.request-head .badge', { hasText: 'succeeded' }).waitFor({ timeout: 120000 });
  await approver.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
  return approver.locator('section').filter({ hasText: 'Created resource' }).innerText();
}

test('an operator asks through SSO, an approver approves, the restore runs once and is audited', { skip }, async () => {
  const table = `tracking-e2e-${STAMP}`;
  const olivia = await signIn('olivia');
  await olivia.locator('header .who', { hasText: 'Olivia Operator · operator' }).waitFor();
  const url = await requestFrom(olivia, '111111111111', async (form) => {
    await form.locator('#target').fill(table);
    await form.locator('#justification').fill('quarterly restore drill of the tracking table');
    await form.locator('#ticket').fill('OPS-4711');
  });
  await olivia.locator('.request-head .badge', { hasText: 'pending approval' }).waitFor();
  assert.equal(await olivia.getByRole('button', { name: 'Approve these exact parameters' }).count(), 0, 'no self-approval');
  await olivia.screenshot({ path: `${ARTIFACTS}request-pending.png`, fullPage: true });

  const adam = await signIn('adam');
  await adam.getByRole('link', { name: /Waiting for approval/ }).click();
  await adam.locator('main tbody tr').first().waitFor();
  const rp = (await requestOf(adam, url)).params.recovery_point_arn;
  assert.match(rp, /^arn:aws:backup:ap-southeast-2:111111111111:recovery-point:/);
  assert.deepEqual(restoresOf('111111111111', rp), [], 'nothing restored before the approval');
  const created = await approveAndWait(adam, url, 'request-succeeded');
  assert.match(created, new RegExp(`table/${table}`));
  assert.ok((await sandboxTables()).includes(`arn:aws:dynamodb:ap-southeast-2:111111111111:table/${table}`), 'the table exists in the sandbox');
  // Once: AWS Backup (the sandbox) holds exactly one restore job of that recovery
  // point, the one the request names, and it created the table.
  const done = await requestOf(adam, url);
  const jobs = restoresOf('111111111111', rp);
  assert.equal(jobs.length, 1, `restore jobs of ${rp}: ${JSON.stringify(jobs)}`);
  assert.equal(jobs[0].RestoreJobId, done.restore_job_id);
  assert.equal(jobs[0].CreatedResourceArn, `arn:aws:dynamodb:ap-southeast-2:111111111111:table/${table}`);

  const timeline = await adam.locator('ol.timeline').innerText();
  for (const step of ['request.created', 'request.approval', 'request.approved', 'execution.token_stored', 'aws.restore_job_started', 'aws.restore_job_completed']) {
    assert.match(timeline, new RegExp(step.replace('.', '\\.')), step);
  }

  const audrey = await signIn('audrey');
  await audrey.goto(`${CONSOLE}/audit`);
  await audrey.locator('table.audit tbody tr').first().waitFor();
  const log = await audrey.locator('table.audit').innerText();
  for (const step of ['auth.signed_in', 'request.created', 'request.approval', 'aws.restore_job_completed']) assert.match(log, new RegExp(step.replace('.', '\\.')));
  await audrey.getByRole('button', { name: 'Verify the chain' }).click();
  // Anchored: "invalid" or "not valid" must not pass.
  const verdict = audrey.getByRole('status').filter({ hasText: /^valid \d+ records, head [0-9a-f]{64}$/ });
  await verdict.waitFor();
  assert.equal(await verdict.locator('.badge.ok').innerText(), 'valid');
  await audrey.screenshot({ path: `${ARTIFACTS}audit.png`, fullPage: false });
  for (const p of [olivia, adam, audrey]) await p.context().close();
});

test('a cross-account restore from the backup vault into workload_a completes', { skip }, async () => {
  const table = `tracking-central-${STAMP}`;
  const olivia = await signIn('olivia');
  const url = await requestFrom(olivia, '222222222222', async (form) => {
    await form.locator('#kind').selectOption('cross_account_restore');
    await form.locator('#target').fill(table);
    // The destination vault is found by typing the start of its name; choosing fills in its ARN.
    const destination = form.locator('#destination');
    await destination.click();
    await destination.pressSequentially('workload-a-rec', { delay: 20 });
    const option = form.locator('#destination-choices option[label^="workload-a-recovery (111111111111"]');
    await option.waitFor({ state: 'attached' });
    await destination.fill(await option.getAttribute('value'));
    await form.locator('#justification').fill('recover tracking from the central vault');
  });
  const adam = await signIn('adam');
  const created = await approveAndWait(adam, url, 'cross-account-succeeded');
  assert.match(created, new RegExp(`111111111111:table/${table}`));
  assert.ok((await sandboxTables()).includes(`arn:aws:dynamodb:ap-southeast-2:111111111111:table/${table}`));
  // One copy into workload_a's vault, and one restore of that copy.
  const done = await requestOf(adam, url);
  const copies = jobsIn('222222222222', 'copy').filter((j) => j.SourceRecoveryPointArn === done.params.recovery_point_arn
    && j.DestinationBackupVaultArn === done.params.destination_vault_arn);
  assert.equal(copies.length, 1, `copy jobs: ${JSON.stringify(copies)}`);
  assert.equal(copies[0].CopyJobId, done.copy_job_id);
  const restores = restoresOf('111111111111', done.destination_recovery_point_arn);
  assert.equal(restores.length, 1, `restore jobs: ${JSON.stringify(restores)}`);
  assert.equal(restores[0].RestoreJobId, done.restore_job_id);
  for (const p of [olivia, adam]) await p.context().close();
});

test('an Aurora cluster restores from its recovery point\'s own metadata with a reviewed override', { skip }, async () => {
  const cluster = `orders-e2e-${STAMP}`;
  const olivia = await signIn('olivia');
  const url = await requestFrom(olivia, '111111111111', async (form) => {
    // The form lists the type's settings, each showing the recovery point's value.
    await form.locator('label[for="DBSubnetGroupName"]', { hasText: 'blank: workload-a-db' }).waitFor();
    await form.locator('#target').fill(cluster);
    await form.locator('#Port').fill('5433');
    await form.locator('#justification').fill('restore the orders cluster beside the original for a data check');
    await form.screenshot({ path: `${ARTIFACTS}aurora-request-form.png`, fullPage: true });
  }, 'Aurora', 'AVAILABLE');
  const adam = await signIn('adam');
  // The approver sees the merged metadata: the recovery point's subnet group and the new port.
  await adam.goto(url);
  const params = await adam.locator('section[aria-labelledby="params-h"]').innerText();
  assert.match(params, /workload-a-db/);
  assert.match(params, /5433/);
  // and which keys the requester set, apart from the recovery point's own.
  assert.match(params, /metadata_set_by_requester\s+Port, dbClusterIdentifier/);
  const created = await approveAndWait(adam, url, 'aurora-request-succeeded');
  assert.match(created, new RegExp(`cluster:${cluster}`));
  // What AWS Backup (the sandbox) received: the recovery point's metadata with the override over it.
  const done = await requestOf(adam, url);
  const role = 'arn:aws:iam::111111111111:role/RecoveryConsoleRead';
  const { Credentials } = aws(['sts', 'assume-role', '--role-arn', role, '--role-session-name', 'e2e-check']);
  const sent = aws(['backup', 'get-restore-job-metadata', '--restore-job-id', done.restore_job_id], Credentials).Metadata;
  const get = (key) => Object.entries(sent).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  assert.equal(get('Port'), '5433');
  assert.equal(get('DBSubnetGroupName'), 'workload-a-db');
  assert.equal(get('dbClusterIdentifier'), cluster);
  for (const p of [olivia, adam]) await p.context().close();
});

// Security review finding 7: when the console's session ends (after
// auth.oidc.session_minutes, or ended by an admin), the page signs in again through
// the provider without a page (prompt=none) while the provider still knows the person,
// and comes back to where the person was, with the groups the provider gives now.
test('an ended session signs in again silently and comes back to the same page', { skip }, async () => {
  const olivia = await signIn('olivia');
  await olivia.goto(`${CONSOLE}/jobs?kind=restore`);
  await olivia.locator('header .who', { hasText: 'Olivia Operator · operator' }).waitFor();
  // The session ends: the browser's cookie now names no session (as after expiry).
  const context = olivia.context();
  const old = (await context.cookies(CONSOLE)).find((c) => c.name === 'rc_session');
  assert.ok(old, 'a session cookie');
  await context.addCookies([{ ...old, value: 'ended-session-token-'.padEnd(43, 'x') }]);
  const seen = [];
  olivia.on('request', (r) => { if (r.isNavigationRequest()) seen.push(r.url()); });
  await olivia.reload();
  const back = olivia.locator('header .who', { hasText: 'Olivia Operator · operator' });
  await back.waitFor().catch(async (e) => {
    await olivia.screenshot({ path: `${ARTIFACTS}silent-sign-in-failed.png`, fullPage: true });
    throw new Error(`not signed in again at ${olivia.url()} after ${seen.join(' ')}: ${e}`);
  });
  assert.equal(olivia.url(), `${CONSOLE}/jobs?kind=restore`, 'back on the same page');
  assert.ok(seen.some((u) => u.includes('/auth/login?prompt=none')), `a silent sign-in: ${seen.join(' ')}`);
  assert.ok(!seen.some((u) => u.includes('/interaction/')), `no provider page was shown: ${seen.join(' ')}`);
  const fresh = (await context.cookies(CONSOLE)).find((c) => c.name === 'rc_session');
  assert.notEqual(fresh.value, old.value, 'a new session');
  await context.close();
});
