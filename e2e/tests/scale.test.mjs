// The web console as it works at thousands of accounts, against `recovery-console
// demo`: filter and form choices come from the API as one types (typeahead), never
// as whole lists, and the Overview and Accounts pages show accounts a page at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserPerFile, open, until, BASE, ARTIFACTS } from '../lib.mjs';

const browser = browserPerFile();

async function visit(path, errors = []) {
  const page = await open(browser(), errors);
  // Every question the page asks the API, to check what the choices came from.
  page.asked = [];
  page.on('request', (r) => page.asked.push(decodeURIComponent(r.url())));
  await page.goto(BASE + path);
  return page;
}

/** The choices a typeahead offers now (its datalist), as "value = label", once there are some. */
async function offered(page, field) {
  const options = page.locator(`#${field}-choices option`);
  await options.first().waitFor({ state: 'attached' });
  return options.evaluateAll((os) => os.map((o) => `${o.value} = ${o.label}`));
}

/** Waits until every choice `field` offers passes `check` (and there is one); returns them. */
async function offeredOnly(page, field, check) {
  return until(`the choices of ${field} to narrow`, async () => {
    const shown = await page.locator(`#${field}-choices option`).evaluateAll((os) => os.map((o) => `${o.value} = ${o.label}`));
    return shown.length > 0 && shown.every(check) && shown;
  }, { timeout: 15000, every: 100 });
}

test('typing narrows the account choices from the API, and choosing one applies the filter', async () => {
  const errors = [];
  const page = await visit('/recovery-points', errors);
  await page.locator('main tbody tr').first().waitFor();
  assert.ok(!page.asked.some((u) => /\/api\/v1\/(accounts|vaults|restore-testing-plans)\b/.test(u)),
    'no whole list of accounts, vaults or plans is loaded with the page');

  const field = page.getByRole('combobox', { name: 'Account' });
  await field.click();
  const first = await offered(page, 'filter-account_id');
  assert.ok(first.some((o) => o.includes('workload_a')) && first.some((o) => o.includes('backup')), first.join(' | '));

  await field.pressSequentially('WORK', { delay: 30 });
  const narrowed = await offeredOnly(page, 'filter-account_id', (o) => o.includes('workload_a'));
  assert.deepEqual(narrowed, ['111111111111 = workload_a (111111111111)']);
  assert.ok(page.asked.some((u) => u.includes('/api/v1/choices/accounts?') && u.includes('q=WORK')), 'the API was asked for "WORK"');
  assert.equal(page.url(), `${BASE}/recovery-points`, 'text that is not a choice filters nothing');
  await page.screenshot({ path: `${ARTIFACTS}typeahead.png` });

  // Choosing puts the choice's value in the field (as the browser does), which applies it;
  // the choice's words show under the field.
  await field.fill('111111111111');
  await page.waitForURL(/account_id=111111111111/);
  await page.locator('#filter-account_id ~ small', { hasText: 'workload_a (111111111111)' }).waitFor();
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('main tbody tr')];
    return rows.length > 0 && rows.every((r) => r.innerText.includes('111111111111'));
  });

  // A vault by the start of its name; the first filter stays.
  const vault = page.getByRole('combobox', { name: 'Vault' });
  await vault.click();
  await vault.pressSequentially('workload-a', { delay: 20 });
  const vaults = await offeredOnly(page, 'filter-vault', (o) => o.startsWith('workload-a'));
  assert.ok(vaults.includes('workload-a-vault = workload-a-vault'), vaults.join(' | '));
  await vault.fill('workload-a-vault');
  await page.waitForURL(/vault=workload-a-vault/);
  assert.match(page.url(), /account_id=111111111111/);
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('main tbody tr')];
    return rows.length > 0 && rows.every((r) => r.innerText.includes('workload-a-vault'));
  });

  // Text that is not a choice is put back when the field is left; emptying it removes its filter.
  await vault.fill('no-such-vault');
  await vault.press('Tab');
  assert.equal(await vault.inputValue(), 'workload-a-vault');
  await field.fill('');
  await page.waitForURL((u) => !u.search.includes('account_id') && u.search.includes('vault='));
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('a link with a filter fills its field with the words for it, and the drill form finds a resource by typing', async () => {
  const linked = await visit('/restore-tests?account_id=111111111111');
  await linked.waitForFunction(() => document.querySelector('#filter-account_id')?.value === '111111111111');
  // The link brings only the id: its words are asked for by value.
  await linked.locator('#filter-account_id ~ small', { hasText: 'workload_a (111111111111)' }).waitFor();
  assert.ok(linked.asked.some((u) => u.includes('/api/v1/choices/accounts?') && u.includes('value=111111111111')), linked.asked.join(' | '));
  await linked.screenshot({ path: `${ARTIFACTS}typeahead-linked.png` });
  await linked.context().close();

  const drills = await visit('/drills');
  const resource = drills.getByRole('combobox', { name: 'Resource' });
  await resource.click();
  await resource.pressSequentially('track', { delay: 30 });
  const shown = await offeredOnly(drills, 'drill-resource', (o) => o.split(' = ')[1].toLowerCase().startsWith('track'));
  const tracking = 'arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking';
  assert.ok(shown.includes(`${tracking} = tracking · DynamoDB · 111111111111`), shown.join(' | '));
  assert.ok(drills.asked.some((u) => u.includes('/api/v1/choices/resources?') && u.includes('q=track')));
  await resource.fill(tracking);
  await drills.locator('#drill-resource ~ small', { hasText: 'tracking · DynamoDB · 111111111111' }).waitFor();
  await drills.screenshot({ path: `${ARTIFACTS}drill-typeahead.png` });
  assert.equal(await resource.inputValue(), tracking, 'the chosen resource stays in the field');
  await drills.context().close();
});

test('paging moves through the accounts on the Accounts page and the Overview, with the total', async () => {
  for (const [path, table] of [['/accounts?limit=1', 'main table'], ['/?limit=1', 'table.accounts']]) {
    const page = await visit(path);
    const pager = page.getByRole('navigation', { name: 'Pages' });
    await pager.waitFor();
    const summary = await pager.locator('.muted').innerText();
    const [, total] = summary.match(/^1 of (\d+) accounts shown$/) ?? [];
    assert.ok(Number(total) >= 2, `${path}: ${summary}`);
    const seen = [];
    for (let i = 0; i < Number(total); i++) {
      await page.locator(`${table} tbody tr`).first().waitFor();
      const id = await page.locator(`${table} tbody tr th .id`).first().innerText();
      assert.ok(!seen.includes(id), `${path}: ${id} shown once`);
      seen.push(id);
      if (i + 1 < Number(total)) {
        await pager.getByRole('link', { name: 'Next page' }).click();
        await page.waitForFunction(([sel, old]) => {
          const cell = document.querySelector(`${sel} tbody tr th .id`);
          return cell && cell.innerText !== old;
        }, [table, id]);
      }
    }
    assert.deepEqual([...seen].sort(), seen, `${path}: by account id`);
    assert.equal(await pager.getByRole('link', { name: 'Next page' }).count(), 0, `${path}: the last page has no next`);
    await pager.getByRole('link', { name: 'Previous page' }).click();
    await page.waitForURL(/before=/);
    await page.waitForFunction(([sel, id]) => document.querySelector(`${sel} tbody tr th .id`)?.innerText === id,
      [table, seen.at(-2)]);
    if (path.startsWith('/accounts')) await page.screenshot({ path: `${ARTIFACTS}accounts-paged.png` });
    await page.context().close();
  }
});
