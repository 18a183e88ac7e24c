// End-to-end test of the desk side of a relay in browser mode: starts a real
// relay (`resonanz relay`), gets its pairing code (`resonanz relay pair`),
// starts the desk (`resonanz serve`) and, in Debian's Chromium, chooses the
// relay in Settings → Listener, pastes the code, pairs and syncs; the relay
// then serves the desk's signup form. A list added while the desk runs is
// published on change without a click. A stopped relay is shown as not
// reachable with a clear reason; unpairing goes back to the local listener.
// Screenshots in German and English go to e2e/out/.
//
//   RESONANZ_BIN=../build/bin/resonanz node e2e/relay.mjs
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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
const STEP_TIMEOUT = 15_000;
const TOTAL_TIMEOUT = 150_000;

const deskDir = mkdtempSync(join(tmpdir(), 'resonanz-e2e-desk-'));
const relayDir = mkdtempSync(join(tmpdir(), 'resonanz-e2e-relay-'));
const profileDir = mkdtempSync(join(tmpdir(), 'resonanz-e2e-chromium-'));
const procs = new Set();
let relayURL = '';
let relayPort = 0;
let relayProc = null;
let desk = null;
let context = null;
let page = null;
const pageErrors = [];

const watchdog = setTimeout(() => {
  console.error(`e2e relay: gave up after ${TOTAL_TIMEOUT / 1000} s`);
  for (const p of procs) p.kill('SIGKILL');
  process.exit(1);
}, TOTAL_TIMEOUT);
watchdog.unref();

/** freePort asks the kernel for a free loopback port. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/** start runs the binary with args and resolves with the process and its first stdout line as JSON. */
function start(args) {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.add(proc);
  proc.on('exit', () => procs.delete(proc));
  let stderr = '';
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')}: no ready line within ${STEP_TIMEOUT} ms:\n${stderr}`)), STEP_TIMEOUT);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited before it was ready (code ${code}, signal ${signal}):\n${stderr}`));
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

/** run runs the binary to its end and returns its stdout (it must succeed). */
function run(args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: STEP_TIMEOUT });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function stop(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function startRelay() {
  relayProc = (await start(['--data', relayDir, '--json', 'relay', '--addr', `127.0.0.1:${relayPort}`, '--public-url', relayURL])).proc;
}

const byTestId = (id) => page.getByTestId(id);

/** shot saves the listener card as name.png, in a window tall enough that nothing scrolls (no sticky header over it). */
async function shot(name) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: size.width, height: 6000 });
  await byTestId('listener-card').screenshot({ path: join(outDir, `${name}.png`) });
  await page.setViewportSize(size);
}

/** waitForText waits until the element with testid contains text. */
async function waitForText(testid, text, timeout = STEP_TIMEOUT) {
  await page.waitForFunction(
    ([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.includes(want) ?? false,
    [testid, text],
    { timeout },
  );
}

/** fill replaces the {name} placeholders of a catalogue text. */
function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (m, name) => params[name] ?? m);
}

/** signupForm fetches a signup form from the relay. */
async function signupForm(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** formURL returns the address of the list's signup form as Settings shows it. */
async function formURL(list) {
  const item = page.getByTestId('signup-forms').locator('li', { hasText: list });
  return item.getByTestId('signup-form-url').getAttribute('href');
}

describe('relay pairing and sync from the desk, in the browser', { timeout: TOTAL_TIMEOUT }, () => {
  before(async () => {
    mkdirSync(outDir, { recursive: true });
    relayPort = await freePort();
    relayURL = `http://127.0.0.1:${relayPort}`;
    await startRelay();
    // The desk has a list with one person before it is paired.
    const csv = join(deskDir, 'people.csv');
    writeFileSync(csv, 'E-Mail;Vorname\r\nanna@example.de;Anna\r\n');
    run(['--data', deskDir, '--json', 'import', 'recipients', csv, '--list', 'Kunden']);
    desk = await start(['--data', deskDir, '--json', 'serve', '--addr', '127.0.0.1:0']);
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      locale: 'de-DE',
      viewport: { width: 1100, height: 1400 },
      timeout: 30_000,
    });
    context.setDefaultTimeout(STEP_TIMEOUT);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    if (page) await page.screenshot({ path: join(outDir, 'relay-last.png'), fullPage: true }).catch(() => {});
    await context?.close().catch(() => {});
    await stop(desk?.proc);
    await stop(relayProc);
    for (const d of [deskDir, relayDir, profileDir]) rmSync(d, { recursive: true, force: true });
  });

  it('pairs with the code `resonanz relay pair` shows, in German', async () => {
    const { code, relayId } = JSON.parse(run(['--data', relayDir, '--json', 'relay', 'pair']));
    assert.match(code, /^resonanz-relay:1:/);
    await page.goto(`${desk.info.url}#/settings`);
    await byTestId('lang-de').click();
    await byTestId('listener-mode-relay').check();
    await waitForText('relay-none', de['settings.relay.none']);
    // A wrong code is explained at the field.
    await byTestId('relay-code').fill('resonanz-relay:1:falsch');
    await byTestId('relay-pair').click();
    await waitForText('error-code', de['error.relay.code'].slice(0, 30));
    await shot('relay-pair-error-de');
    await byTestId('relay-code').fill(code);
    await byTestId('relay-pair').click();
    await waitForText('relay-paired', fill(de['settings.relay.paired'], { id: relayId }));
    await waitForText('relay-links-url', fill(de['settings.relay.linksTo'], { url: relayURL }));
    await waitForText('relay-reachable', de['settings.relay.reachable']);
    assert.ok(await byTestId('listener-mode-relay').isChecked());
  });

  it('syncs with a progress bar, and the relay then serves the signup form', async () => {
    await byTestId('relay-sync').click();
    await waitForText('relay-synced', de['settings.relay.synced']);
    assert.match(await byTestId('relay-synced').innerText(), /1 Profil veröffentlicht/);
    await waitForText('relay-last-sync', de['settings.relay.lastSync'].split('{')[0]);
    // The signup form's address is the relay's now, and the relay knows the list.
    await waitForText('signup-form-url', relayURL);
    const form = await signupForm(await formURL('Kunden'));
    assert.equal(form.status, 200, form.body);
    assert.match(form.body, /Kunden/);
    await shot('relay-paired-de');
  });

  it('publishes a change on its own, without a click', async () => {
    const csv = join(deskDir, 'partner.csv');
    writeFileSync(csv, 'E-Mail;Vorname\r\nbert@example.de;Bert\r\n');
    run(['--data', deskDir, '--json', 'import', 'recipients', csv, '--list', 'Partner']);
    const started = Date.now();
    await page.reload();
    await waitForText('signup-forms', 'Partner');
    const url = await formURL('Partner');
    assert.ok(url.startsWith(relayURL), url);
    // Polled gently: the relay's pages are rate limited per address.
    let form = await signupForm(url);
    while (form.status !== 200 && Date.now() - started < 12_000) {
      await new Promise((r) => setTimeout(r, 1000));
      form = await signupForm(url);
    }
    assert.equal(form.status, 200, `the new list was not published on change within 12 s: ${form.body}`);
    assert.match(form.body, /Partner/);
    console.log(`# published on change ${Date.now() - started} ms after the import`);
  });

  it('shows a stopped relay as not reachable, with the reason, in English', async () => {
    await stop(relayProc);
    await byTestId('lang-en').click();
    await page.reload();
    await waitForText('relay-unreachable', en['settings.relay.unreachable']);
    await waitForText('relay-problem', fill(en['error.relay.unreachable'], { url: relayURL, reason: '' }).split('(')[0]);
    await shot('relay-unreachable-en');
    await startRelay();
    await byTestId('relay-sync').click();
    await waitForText('relay-synced', en['settings.relay.synced']);
    await waitForText('relay-reachable', en['settings.relay.reachable']);
    await shot('relay-synced-en');
  });

  it('unpairs after asking and goes back to the local listener', async () => {
    await byTestId('relay-unpair').click();
    await byTestId('relay-unpair-confirm').click();
    await page.waitForSelector('[data-testid="relay-panel"]', { state: 'detached' });
    assert.ok(await byTestId('listener-mode-local').isChecked());
    assert.deepEqual(pageErrors, []);
  });
});
