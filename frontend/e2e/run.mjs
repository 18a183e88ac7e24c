// End-to-end test of browser mode: starts the real binary (`resonanz serve`),
// checks the access token at the HTTP edge, then drives the UI in Debian's
// Chromium through every screen, the language switch and the Settings form, and
// proves that saved values survive a reload and a server restart (a real round
// trip through Go and SQLite). Then it imports a CSV file through the import
// wizard, searches and opens a recipient, grants and withdraws consent,
// backs up (download), undoes the import and restores the backup (upload). A layout is made on the Templates
// screen, picked in a mailing and seen in its preview; a mailing saved as a template starts a new one.
//
//   RESONANZ_BIN=../build/bin/resonanz node e2e/run.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(process.env.RESONANZ_BIN ?? join(here, '..', '..', 'build', 'bin', 'resonanz'));
const outDir = join(here, 'out');
const en = JSON.parse(readFileSync(join(here, '..', 'src', 'lib', 'i18n', 'en.json'), 'utf8'));
const de = JSON.parse(readFileSync(join(here, '..', 'src', 'lib', 'i18n', 'de.json'), 'utf8'));
const screens = ['recipients', 'templates', 'mailings', 'reactions', 'analysis', 'target-groups', 'surveys', 'settings'];
const STEP_TIMEOUT = 10_000;
const LAUNCH_TIMEOUT = 30_000; // a cold Chromium start on a busy 2-core machine takes several seconds
const TOTAL_TIMEOUT = 300_000; // quiet CI runs the suite in about a minute; under load average 25 it needed over 120 s

const dataDir = mkdtempSync(join(tmpdir(), 'resonanz-e2e-data-'));
const profileDir = mkdtempSync(join(tmpdir(), 'resonanz-e2e-chromium-'));
const csvDir = mkdtempSync(join(tmpdir(), 'resonanz-e2e-csv-'));
let server = null;
let context = null;
let page = null;
const pageErrors = [];

// The whole run has a hard limit: a hung browser or server must not hang CI.
const watchdog = setTimeout(() => {
  console.error(`e2e: gave up after ${TOTAL_TIMEOUT / 1000} s`);
  server?.proc.kill('SIGKILL');
  process.exit(1);
}, TOTAL_TIMEOUT);
watchdog.unref();

/** startServer runs `resonanz serve` on a free port and resolves with its ready line. */
function startServer() {
  const proc = spawn(bin, ['--data', dataDir, '--json', 'serve', '--addr', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within ${STEP_TIMEOUT} ms:\n${stderr}`)), STEP_TIMEOUT);
    proc.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${bin}: ${err.message}`));
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited before it was ready (code ${code}, signal ${signal}):\n${stderr}`));
    });
    createInterface({ input: proc.stdout }).once('line', (line) => {
      clearTimeout(timer);
      try {
        resolveReady({ proc, info: JSON.parse(line) });
      } catch (err) {
        reject(new Error(`the first stdout line is not JSON: ${line} (${err.message})`));
      }
    });
  });
}

/** stopServer ends the server politely, then firmly. */
async function stopServer() {
  if (!server) return;
  const { proc } = server;
  server = null;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

const byTestId = (id) => page.getByTestId(id);

/** waitForText waits until the element with testid has exactly text. */
async function waitForText(testid, text) {
  await page.waitForFunction(
    ([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() === want,
    [testid, text],
    { timeout: STEP_TIMEOUT },
  );
}

/** waitForValue waits until the input with testid holds value. */
async function waitForValue(testid, value) {
  await page.waitForFunction(
    ([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.value === want,
    [testid, value],
    { timeout: STEP_TIMEOUT },
  );
}

async function assertSenderShown(sender) {
  await waitForText('screen-title', en['screen.settings.title']);
  for (const [field, value] of Object.entries(sender)) await waitForValue(`sender-${field}`, value);
}

describe('browser mode end to end', { timeout: TOTAL_TIMEOUT }, () => {
  before(async () => {
    mkdirSync(outDir, { recursive: true });
    server = await startServer();
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      locale: 'en-US',
      viewport: { width: 1024, height: 700 },
      timeout: LAUNCH_TIMEOUT,
    });
    context.setDefaultTimeout(STEP_TIMEOUT);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Failed requests are judged by their response below; the console only repeats them.
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(msg.text());
    });
    page.on('response', (response) => {
      // Go answers 400 for the validation errors the steps provoke on purpose (sender address, template and layout
      // mistakes, the send panel's audience of a mailing saved without a list, and a survey choice left empty), and
      // 409 for deleting a layout a mailing uses.
      const expected =
        (response.status() === 400 &&
          [
            '/api/Settings/SaveSender',
            '/api/Mailings/Save',
            '/api/Mailings/Preview',
            '/api/Mailings/Audience',
            '/api/Surveys/Save',
            '/api/Templates/SaveLayout',
            '/api/Templates/PreviewLayout',
          ].some((p) => response.url().endsWith(p))) ||
        (response.status() === 409 && response.url().endsWith('/api/Templates/DeleteLayout'));
      if (response.status() >= 400 && !expected) pageErrors.push(`${response.status()} ${response.url()}`);
    });
  });

  after(async () => {
    if (page) await page.screenshot({ path: join(outDir, 'last.png') }).catch(() => {});
    await context?.close().catch(() => {});
    await stopServer();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
    rmSync(csvDir, { recursive: true, force: true });
  });

  it('refuses requests without the right token', async () => {
    const { addr, token } = server.info;
    assert.equal(server.info.url, `http://${addr}/?token=${token}`);
    assert.equal((await fetch(`http://${addr}/`)).status, 401, 'GET / without token');
    const api = (headers) => fetch(`http://${addr}/api/System/Info`, { method: 'POST', headers, body: '[]' });
    const missing = await api({ 'Content-Type': 'application/json' });
    assert.equal(missing.status, 401, 'API without token header');
    assert.equal((await missing.json()).error.code, 'unauthorized');
    assert.equal((await api({ 'X-Resonanz-Token': `${token}x` })).status, 401, 'API with a wrong token');
    const ok = await api({ 'X-Resonanz-Token': token });
    assert.equal(ok.status, 200, 'API with the token');
    assert.equal((await ok.json()).mode, 'browser');
  });

  it('opens the desk and takes the token out of the address bar', async () => {
    await page.goto(server.info.url);
    await waitForText('screen-title', en['screen.recipients.title']);
    assert.ok(!page.url().includes('token='), `token left in the address: ${page.url()}`);
    await waitForText('status-mode', en['status.mode.browser']);
  });

  it('reaches every screen from the navigation', async () => {
    for (const screen of [...screens].reverse()) {
      await byTestId(`nav-${screen}`).click();
      await waitForText('screen-title', en[`screen.${screen}.title`]);
      assert.equal(await byTestId(`nav-${screen}`).getAttribute('aria-current'), 'page');
    }
  });

  it('switches the language to German and back', async () => {
    await byTestId('lang-de').click();
    await waitForText('nav-settings', de['screen.settings.title']);
    await waitForText('screen-title', de['screen.recipients.title']);
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    await byTestId('lang-en').click();
    await waitForText('nav-settings', en['screen.settings.title']);
  });

  it("shows Go's validation error under the sender address", async () => {
    await byTestId('nav-settings').click();
    await waitForText('screen-title', en['screen.settings.title']);
    await byTestId('sender-fromAddress').fill('not-an-address');
    await byTestId('sender-save').click();
    await waitForText('error-fromAddress', en['error.sender.fromAddress.invalid']);
    assert.equal(await byTestId('sender-fromAddress').getAttribute('aria-invalid'), 'true');
    await page.screenshot({ path: join(outDir, 'settings-error.png') });
  });

  const sender = { fromName: 'Resonanz Test', fromAddress: 'news@example.org', replyTo: '' };

  it('saves the sender identity and keeps it across a reload', async () => {
    await byTestId('sender-fromName').fill(sender.fromName);
    await byTestId('sender-fromAddress').fill(sender.fromAddress);
    await byTestId('sender-replyTo').fill(sender.replyTo);
    await byTestId('sender-save').click();
    await waitForText('sender-saved', en['settings.saved']);
    assert.equal(await byTestId('error-fromAddress').count(), 0);
    await page.screenshot({ path: join(outDir, 'settings-saved.png') });

    // The token is gone from the address; the reload must authenticate from sessionStorage.
    await page.reload();
    await assertSenderShown(sender);
  });

  it('keeps the sender identity across a server restart', async () => {
    await stopServer();
    server = await startServer();
    await page.goto(`${server.info.url}#/settings`);
    await assertSenderShown(sender);
    // The change is in the activity log, read back from the store after the restart.
    await page.getByTestId('audit-entry').first().waitFor();
    assert.match(await page.getByTestId('audit-entry').first().innerText(), new RegExp(en['audit.action.settings.sender.update']));
    await page.screenshot({ path: join(outDir, 'settings-restarted.png') });
  });

  it('starts the listener from Settings, reaches /healthz, and stops it', async () => {
    const port = await new Promise((res) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address();
        probe.close(() => res(port));
      });
    });
    await byTestId('listener-addr').fill(`127.0.0.1:${port}`);
    await byTestId('listener-save').click();
    await waitForText('listener-saved', en['settings.saved']);
    await byTestId('listener-start').click();
    await waitForText('listener-running', en['settings.listener.running']);
    await waitForText('listener-bound-addr', `127.0.0.1:${port}`);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await health.text()).trim(), 'ok');
    await page.screenshot({ path: join(outDir, 'listener-running.png') });
    await byTestId('listener-stop').click();
    await waitForText('listener-stopped', en['settings.listener.stopped']);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  });

  // The import file: German headers, 300 people plus one repeated row; line 42
  // (the header is line 1) has an invalid address. Every tenth person is a
  // Schmidt, and nobody else's name or address begins with "schmi".
  const csv = (() => {
    const firsts = ['Anna', 'Ben', 'Clara', 'David', 'Eva'];
    const salutations = ['Frau', 'Herr', 'divers', ''];
    const rows = ['E-Mail;Vorname;Nachname;Anrede;Titel'];
    for (let i = 1; i <= 300; i++) {
      const email = i === 41 ? 'kein-at-zeichen.example.org' : `person${i}@example.org`;
      const last = i % 10 === 0 ? 'Schmidt' : `Muster${i}`;
      rows.push([email, firsts[i % firsts.length], last, salutations[i % 4], i % 7 === 0 ? 'Dr.' : ''].join(';'));
    }
    rows.push('Person5@Example.org;Eva;Muster5;Herr;');
    return { path: join(csvDir, 'messe-kontakte.csv'), text: rows.join('\r\n') + '\r\n', created: 299, invalidLine: 42, schmidts: 30 };
  })();

  it('imports a CSV file through the wizard', async () => {
    writeFileSync(csv.path, csv.text);
    await byTestId('nav-recipients').click();
    await waitForText('screen-title', en['screen.recipients.title']);
    await byTestId('recipients-empty').waitFor();
    await byTestId('recipients-empty-import').click();
    await byTestId('import-file').setInputFiles(csv.path);
    await byTestId('import-format').waitFor();
    assert.match(await byTestId('import-format').innerText(), /messe-kontakte\.csv · UTF-8 · separated by semicolon/);
    assert.equal(await byTestId('map-E-Mail').inputValue(), 'email');
    assert.equal(await byTestId('map-Nachname').inputValue(), 'last_name');
    await page.screenshot({ path: join(outDir, 'import-mapping.png') });
    // The list is named in the mapping step (its newsletter consent is offered there).
    await byTestId('import-listName').fill('Messe 2025');
    await byTestId('import-next').click();
    await byTestId('import-run').click();
    await waitForText('result-created', String(csv.created));
    await waitForText('result-skipped', '1');
    await waitForText('result-rejected', '1');
    const rejected = await byTestId('rejected-row').innerText();
    assert.match(rejected, new RegExp(`^${csv.invalidLine}\\s`), `rejected row: ${rejected}`);
    assert.equal(await byTestId('import-progress').count(), 0, 'the progress bar is gone after the import');
    await page.screenshot({ path: join(outDir, 'import-result.png') });
  });

  it('shows the imported recipients and searches them by last name', async () => {
    await byTestId('import-show').click();
    await waitForText('recipients-total', `${csv.created} recipients`);
    await byTestId('recipient-row').first().waitFor();
    await page.screenshot({ path: join(outDir, 'recipients-table.png') });
    await byTestId('recipients-search').fill('Schmi');
    await waitForText('recipients-total', `${csv.schmidts} recipients`);
    // Scrolling to the end loads the rest without gaps.
    await byTestId('recipients-viewport').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForFunction(
      (n) =>
        document.querySelector(`[data-testid="recipient-row"][aria-rowindex="${n + 1}"]`) !== null &&
        document.querySelector('.vtable-row.placeholder') === null,
      csv.schmidts,
    );
  });

  it('grants and withdraws consent on a recipient', async () => {
    await byTestId('recipient-row').first().click();
    await byTestId('recipient-detail').waitFor();
    assert.match(await byTestId('detail-lastName').inputValue(), /^Schmidt$/);
    await byTestId('consent-grant-tracking-opens').click();
    await byTestId('consent-wording').fill('Ja, Resonanz darf zählen, ob ich den Newsletter öffne.');
    await byTestId('consent-evidence').fill('Unterschriebenes Formular, Messe 2025, Ordner 3');
    await byTestId('consent-grant-submit').click();
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="consent-state-tracking-opens"]')?.textContent?.includes('Granted since'),
    );
    await waitForText('ledger-change', en['consent.granted']);
    await page.locator('main').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: join(outDir, 'recipients-detail.png') });
    await byTestId('consent').screenshot({ path: join(outDir, 'recipients-consent.png') });

    await byTestId('consent-withdraw-tracking-opens').click();
    await byTestId('withdraw-dialog-confirm').click();
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="consent-state-tracking-opens"]')?.textContent?.includes('Withdrawn since'),
    );
    const changes = await byTestId('ledger-change').allInnerTexts();
    assert.deepEqual(changes, [en['consent.withdrawn'], en['consent.granted']]);
  });

  it('saves a mailing only without template mistakes and shows them at line:column', async () => {
    await byTestId('nav-mailings').click();
    await waitForText('screen-title', en['screen.mailings.title']);
    await byTestId('mailing-new').click();
    await byTestId('mailing-name').fill('Frühling');
    await byTestId('mailing-subject').fill('Neues für {{ first_name | default:"Sie" }}');
    await byTestId('mailing-body').fill('Hallo,\n\nhier ist {{ frist_name }}.\n\n[Atlas](https://example.org/atlas){tags="Wandern"}');
    await byTestId('mailing-save').click();
    await page.waitForFunction(
      () => /^Line 3, column \d+: .*frist_name/.test(document.querySelector('[data-testid="error-body"]')?.textContent?.trim() ?? ''),
    );
    assert.equal(await byTestId('mailing-body').getAttribute('aria-invalid'), 'true');
    await byTestId('mailing-body').fill('Hallo {{ first_name }},\n\n[Atlas](https://example.org/atlas){tags="Wandern"}');
    await byTestId('mailing-save').click();
    await byTestId('mailing-saved').waitFor();
    await byTestId('link-row').first().waitFor();
    await page.frameLocator('[data-testid="preview-frame"]').getByText('Atlas').waitFor();
    await page.screenshot({ path: join(outDir, 'mailing-editor.png') });
  });

  it('creates a layout, picks it in a mailing and sees it in the preview; starts a mailing from a template', async () => {
    await byTestId('nav-templates').click();
    await waitForText('screen-title', en['screen.templates.title']);
    await byTestId('layout-new-default').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="layout-html"]')?.value.includes('{{ content }}'));
    const html = await byTestId('layout-html').inputValue();
    await byTestId('layout-name').fill('Hausstil');
    // A mistake is shown at line:column before anything is stored.
    await byTestId('layout-html').fill('<p>{{ content }}</p>\n<p>{{ frist_name }}</p>');
    await byTestId('layout-save').click();
    await page.waitForFunction(
      () => /^Line 2, column \d+: .*frist_name/.test(document.querySelector('[data-testid="error-html"]')?.textContent?.trim() ?? ''),
    );
    await byTestId('layout-html').fill(html.replace('<div class="content">', '<div class="content"><p class="brand">SONNENREISEN-KOPF</p>'));
    await page.frameLocator('[data-testid="layout-preview-frame"]').getByText('SONNENREISEN-KOPF').waitFor();
    assert.equal(await byTestId('layout-preview-frame').getAttribute('sandbox'), '');
    await byTestId('layout-save').click();
    await byTestId('layout-saved').waitFor();
    await page.screenshot({ path: join(outDir, 'layout-editor.png') });

    // The mailing picks it: the preview shows the layout around the text.
    await byTestId('nav-mailings').click();
    await waitForText('screen-title', en['screen.mailings.title']);
    await page.locator('[data-testid^="mailing-open-"]').first().click();
    await byTestId('mailing-layout').selectOption({ label: 'Hausstil' });
    await page.frameLocator('[data-testid="preview-frame"]').getByText('SONNENREISEN-KOPF').waitFor();
    await page.frameLocator('[data-testid="preview-frame"]').getByText('Atlas').waitFor();
    await byTestId('mailing-save').click();
    await byTestId('mailing-saved').waitFor();

    // Saved as a template, it starts a new mailing in the same layout.
    await byTestId('mailing-save-template').click();
    await byTestId('mailing-template-name').fill('Monatsbrief');
    await byTestId('mailing-template-save').click();
    await byTestId('mailing-template-saved').waitFor();
    await byTestId('nav-templates').click();
    await byTestId('mailing-templates-table').waitFor();
    await page.screenshot({ path: join(outDir, 'templates.png') });
    await page.locator('[data-testid^="template-use-"]').first().click();
    await waitForText('screen-title', en['screen.mailings.title']);
    await page.waitForFunction(() => document.querySelector('[data-testid="mailing-name"]')?.value.startsWith('Monatsbrief '));
    await page.frameLocator('[data-testid="preview-frame"]').getByText('SONNENREISEN-KOPF').waitFor();

    // A layout in use cannot be deleted; the message names the mailings.
    await byTestId('nav-templates').click();
    await page.locator('[data-testid^="layout-delete-"]').first().click();
    await byTestId('template-delete-dialog-confirm').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="templates-error"]')?.textContent?.includes('Frühling'));
  });

  it('imports a provider log and shows the report in Analysis', async () => {
    const log = join(csvDir, 'sendgrid.json');
    const ts = 1742288400;
    const event = (email, event, i, extra = {}) => ({
      email,
      timestamp: ts + i * 60,
      event,
      sg_event_id: `e2e-${event}-${i}`,
      sg_message_id: `msg-${email}`,
      ...extra,
    });
    writeFileSync(
      log,
      JSON.stringify([
        event('person1@example.org', 'delivered', 1),
        event('person2@example.org', 'delivered', 2),
        event('person3@example.org', 'bounce', 3, { type: 'bounce', status: '5.1.1', reason: '550 no such user' }),
        event('person1@example.org', 'open', 4, { useragent: 'Mozilla/5.0' }),
        event('person1@example.org', 'click', 5, { url: 'https://example.org/atlas' }),
      ]),
    );
    await byTestId('nav-reactions').click();
    await waitForText('screen-title', en['screen.reactions.title']);
    await byTestId('reactions-file').setInputFiles(log);
    await byTestId('reactions-options').waitFor();
    await byTestId('reactions-mailing').selectOption({ label: 'Frühling' });
    await byTestId('reactions-run').click();
    await byTestId('reactions-result').waitFor();
    assert.equal(await byTestId('result-read').innerText(), '5');

    await byTestId('reactions-analysis').click();
    await waitForText('screen-title', en['screen.analysis.title']);
    await waitForText('kpi-bounced', '1');
    await byTestId('analysis-mailing').selectOption({ label: 'Frühling' });
    await byTestId('analysis-links').waitFor();
    // One stated base (the log's 2 delivered events; Frühling was not sent by Resonanz), rates of it, the
    // opened definition beside the numbers (issue 15).
    await waitForText('analysis-base', en['analysis.base.delivered'].replace('{n}', '2'));
    await waitForText('kpi-unsubscribes', '0');
    assert.equal(await byTestId('analysis-definition').innerText(), en['analysis.definition.opened']);
    await byTestId('heatmap').waitFor();
    await page.screenshot({ path: join(outDir, 'analysis.png') });
  });

  it('builds a target-group rule and shows the live count', async () => {
    await byTestId('nav-target-groups').click();
    await waitForText('screen-title', en['screen.target-groups.title']);
    await byTestId('group-new').click();
    await byTestId('group-name').fill('Schmidts');
    await byTestId('add-condition').click();
    const kind = page.locator('[data-testid$="-kind"]').first();
    const id = (await kind.getAttribute('data-testid')).replace(/-kind$/, '');
    await byTestId(`${id}-field`).selectOption('last_name');
    await byTestId(`${id}-op`).selectOption('eq');
    await byTestId(`${id}-value`).fill('Schmidt');
    await waitForText('group-count', `${csv.schmidts} people match`);
    await byTestId('group-save').click();
    await byTestId('group-saved').waitFor();
    await page.screenshot({ path: join(outDir, 'target-group.png') });
  });

  it('defines a survey, opens it and links it from a mailing', async () => {
    await byTestId('nav-surveys').click();
    await waitForText('screen-title', en['screen.surveys.title']);
    await byTestId('survey-new').click();
    await byTestId('survey-name').fill('Leserumfrage 2026');
    await waitForValue('survey-slug', 'leserumfrage-2026');
    await byTestId('survey-title').fill('Wie reisen Sie?');
    await byTestId('add-question-single').click();
    await byTestId('question-0-text').fill('Ihr Reisestil?');
    await byTestId('survey-save').click();
    // Go names the empty choice; the editor shows it at the question.
    await byTestId('question-0-error').waitFor();
    await byTestId('question-0-choice-0-label').fill('Aktiv');
    await byTestId('question-0-choice-0-interest').fill('Wandern');
    await byTestId('question-0-choice-1-label').fill('Ruhig');
    await byTestId('add-question-rating').click();
    await byTestId('question-1-text').fill('Wie zufrieden sind Sie?');
    await byTestId('survey-save').click();
    await byTestId('survey-saved').waitFor();
    await byTestId('survey-open').click();
    await waitForText('survey-status', en['surveys.status.open']);
    await waitForText('survey-responses', '0 people answered.');
    await page.screenshot({ path: join(outDir, 'survey-editor.png') });
    await byTestId('survey-back').click();
    await byTestId('surveys-table').getByText('leserumfrage-2026').waitFor();

    // A mailing may link it; an unknown survey is refused when saving.
    await byTestId('nav-mailings').click();
    await waitForText('screen-title', en['screen.mailings.title']);
    await byTestId('mailing-new').click();
    await byTestId('mailing-name').fill('Umfrage');
    await byTestId('mailing-subject').fill('Ihre Meinung');
    await byTestId('mailing-body').fill('Bitte: [Zur Umfrage]({{ survey_url "gibtsnicht" }})');
    await byTestId('mailing-save').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="error-body"]')?.textContent?.includes('gibtsnicht'));
    await byTestId('mailing-body').fill('Bitte: [Zur Umfrage]({{ survey_url "leserumfrage-2026" }})');
    await byTestId('mailing-save').click();
    await byTestId('mailing-saved').waitFor();
  });

  let backupFile = '';

  it('backs up the data and downloads the checked copy', async () => {
    await byTestId('nav-settings').click();
    await waitForText('screen-title', en['screen.settings.title']);
    await byTestId('backups-card').waitFor();
    // The start-up check ran and the daily copy of today exists.
    await byTestId('backups-check').waitFor();
    assert.match(await byTestId('backups-check').innerText(), /quick_check/);
    await page.locator('[data-testid="backups-entry"]', { hasText: en['settings.backups.kind.daily'] }).first().waitFor();
    const download = page.waitForEvent('download');
    await byTestId('backups-now').click();
    const file = await download;
    backupFile = join(csvDir, file.suggestedFilename());
    await file.saveAs(backupFile);
    assert.match(file.suggestedFilename(), /^resonanz-manual-.*\.db$/);
    assert.equal(readFileSync(backupFile).subarray(0, 15).toString(), 'SQLite format 3');
    await byTestId('backups-outcome').waitFor();
    await page.locator('[data-testid="backups-entry"]', { hasText: en['settings.backups.kind.manual'] }).first().waitFor();
    await page.screenshot({ path: join(outDir, 'backups.png') });
  });

  it('undoes the import and leaves the table empty', async () => {
    await byTestId('nav-recipients').click();
    await byTestId('tab-table').click();
    await byTestId('recipients-search').fill('');
    await waitForText('recipients-total', `${csv.created} recipients`);
    await byTestId('tab-import').click();
    await page.locator('[data-testid^="history-undo-"]').first().click();
    await byTestId('undo-dialog-confirm').click();
    await page.locator('[data-testid="history-row"]', { hasText: 'undone' }).waitFor();
    await byTestId('tab-table').click();
    await waitForText('recipients-total', '0 recipients');
    await byTestId('recipients-empty').waitFor();
  });

  it('restores the downloaded backup: the undone import is back', async () => {
    await byTestId('nav-settings').click();
    await byTestId('backups-card').waitFor();
    await byTestId('backups-restore-file').setInputFiles(backupFile);
    await byTestId('backups-confirm').waitFor();
    await byTestId('backups-confirm-confirm').click();
    // The page reloads after a restore, so nothing stale stays on screen.
    await byTestId('backups-outcome').waitFor();
    assert.match(await byTestId('backups-outcome').innerText(), /Restored from/);
    await page.locator('[data-testid="backups-entry"]', { hasText: en['settings.backups.kind.safety'] }).first().waitFor();
    await byTestId('nav-recipients').click();
    await byTestId('tab-table').click();
    await waitForText('recipients-total', `${csv.created} recipients`);
    await page.screenshot({ path: join(outDir, 'restored.png') });
  });

  it('raised no errors and requested nothing missing', () => {
    assert.deepEqual(pageErrors, []);
  });
});
