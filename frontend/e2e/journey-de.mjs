// The German first week as one journey (issue 16, "Done when"): from an EMPTY
// data directory, with a German browser, a travel agency sets up its sender,
// mail server and listener; creates a list in the import wizard with
// newsletter consent; imports a Windows-1252 file with a "Familie" row and
// one bad address; downloads the rejected row; writes a mailing that links a
// survey before it exists (the draft is kept, sending is blocked); duplicates
// it; previews it with an external https image (served by the sink over
// HTTPS, and loaded); creates the survey; sends through a local SMTP sink
// (backend/smtp/smtptest/smtpsink); opens the profile and unsubscribe pages
// from a received mail; and imports a provider log whose unmatched events
// land in the quarantine with German reasons (and whose unsubscribe shows
// in the person's consent ledger in German). On every screen it
// asserts that no visible text is an English catalogue string where the German
// one differs. Screenshots of each new state, in German and then in English,
// go to e2e/out/journey/.
//
//   RESONANZ_BIN=../build/bin/resonanz SMTPSINK_BIN=../build/bin/smtpsink node e2e/journey-de.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const bin = resolve(process.env.RESONANZ_BIN ?? join(root, 'build', 'bin', 'resonanz'));
const sinkBin = resolve(process.env.SMTPSINK_BIN ?? join(root, 'build', 'bin', 'smtpsink'));
const outDir = join(here, 'out', 'journey');
const en = JSON.parse(readFileSync(join(here, '..', 'src', 'lib', 'i18n', 'en.json'), 'utf8'));
const de = JSON.parse(readFileSync(join(here, '..', 'src', 'lib', 'i18n', 'de.json'), 'utf8'));
const csvPath = join(root, 'testdata', 'e2e', 'reisebuero-kunden.csv');
const STEP_TIMEOUT = 20_000;
const TOTAL_TIMEOUT = 240_000; // a hard limit for a loaded machine; quiet, the journey takes about a minute

const dataDir = mkdtempSync(join(tmpdir(), 'resonanz-journey-data-'));
const profileDir = mkdtempSync(join(tmpdir(), 'resonanz-journey-chromium-'));
const mailDir = mkdtempSync(join(tmpdir(), 'resonanz-journey-mails-'));
const procs = [];
let desk = null;
let sink = null;
let context = null;
let page = null;
const pageErrors = [];
const cspRefusals = [];

const watchdog = setTimeout(() => {
  console.error(`journey: gave up after ${TOTAL_TIMEOUT / 1000} s`);
  for (const p of procs) p.kill('SIGKILL');
  process.exit(1);
}, TOTAL_TIMEOUT);
watchdog.unref();

/** start runs a program that prints one JSON line when it is ready. */
function start(file, args) {
  const proc = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let stderr = '';
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file}: no ready line within ${STEP_TIMEOUT} ms:\n${stderr}`)), STEP_TIMEOUT);
    proc.on('error', (err) => reject(new Error(`cannot start ${file}: ${err.message}`)));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited before it was ready (code ${code}):\n${stderr}`));
    });
    createInterface({ input: proc.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolveReady({ proc, info: JSON.parse(line) });
    });
  });
}

async function stop(p) {
  if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const exited = new Promise((r) => p.proc.once('exit', r));
  p.proc.kill('SIGTERM');
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** freePort returns a TCP port nobody listens on right now. */
function freePort() {
  return new Promise((res) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => res(port));
    });
  });
}

const byTestId = (id) => page.getByTestId(id);

async function waitForText(testid, text) {
  await page.waitForFunction(
    ([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() === want,
    [testid, text],
  );
}

async function waitForMatch(testid, pattern) {
  await page.waitForFunction(
    ([id, source]) => new RegExp(source).test(document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? ''),
    [testid, pattern.source],
  );
}

async function shot(name) {
  await page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });
}

// English catalogue texts that differ from the German ones (and are no German
// text elsewhere, like the switch's "English"); texts with placeholders become
// patterns (only when their fixed part says something).
const englishOnly = (() => {
  const exact = new Set();
  const patterns = [];
  const german = new Set(Object.values(de).map((s) => s.trim()));
  for (const [key, text] of Object.entries(en)) {
    if (de[key] === text || german.has(text.trim()) || text.trim().length < 3) continue;
    if (!text.includes('{')) {
      exact.add(text.trim());
      continue;
    }
    const fixed = text.replace(/\{\w+\}/g, '').trim();
    if (fixed.length < 8) continue;
    const escaped = text.trim().replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '.+?');
    patterns.push({ key, re: new RegExp(`^${escaped}$`) });
  }
  return { exact, patterns };
})();

/** assertGerman fails when a visible text on the page is an English catalogue string that differs in German. */
async function assertGerman(where) {
  const texts = await page.evaluate(() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = n.textContent?.trim() ?? '';
      if (text === '' || el === null || el.closest('script,style,textarea,code,pre,iframe') !== null) continue;
      if (el.getClientRects().length === 0 || getComputedStyle(el).visibility === 'hidden') continue;
      out.push(text);
    }
    for (const el of document.querySelectorAll('input[placeholder],textarea[placeholder],[aria-label],[title]')) {
      if (el.getClientRects().length === 0) continue;
      for (const a of ['placeholder', 'aria-label', 'title']) {
        const v = el.getAttribute(a)?.trim();
        if (v) out.push(v);
      }
    }
    return out;
  });
  const english = texts.filter(
    (s) => englishOnly.exact.has(s) || englishOnly.patterns.some(({ re }) => re.test(s)),
  );
  assert.deepEqual(english, [], `English text on the German screen "${where}"`);
}

// The business's logo (96×32), uploaded in Settings.
const logoPath = join(root, 'testdata', 'e2e', 'sonnenschein-logo.png');
// The mailing's external picture: the sink serves testdata/e2e over HTTPS (a self-signed certificate the
// browser is told to accept) and Chromium resolves the image host to it.
const imageHost = 'bilder.reisebuero-sonnenschein.example';
let imageURL = '';
// The listener's public address: https, as behind the TLS proxy the README describes; the route below
// plays that proxy and forwards to the listener on loopback.
const publicBase = 'https://news.reisebuero-sonnenschein.example';

/** quotedPrintable decodes a quoted-printable body (soft line breaks, =XX bytes as UTF-8). */
function quotedPrintable(s) {
  const bytes = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** mails returns the received messages, decoded enough to read their text and links. */
function mails() {
  return readdirSync(mailDir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => {
      const raw = readFileSync(join(mailDir, f), 'utf8');
      const headers = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
      const to = /^To: (.*)$/im.exec(headers)?.[1] ?? '';
      const decoded = raw.includes('quoted-printable') ? quotedPrintable(raw) : raw;
      return { to, raw, text: decoded };
    });
}

const business = 'Reisebüro Sonnenschein';
const listenerPort = { n: 0 };
const listName = 'Stammkunden';
const surveySlug = 'sommerumfrage';

describe('the German first week, from an empty data directory', { timeout: TOTAL_TIMEOUT }, () => {
  before(async () => {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    [desk, sink] = await Promise.all([
      start(bin, ['--data', dataDir, '--json', 'serve', '--addr', '127.0.0.1:0']),
      start(sinkBin, ['-dir', mailDir, '-https', join(root, 'testdata', 'e2e')]),
    ]);
    imageURL = `https://${imageHost}:${new URL(sink.info.https).port}/sonnenschein-logo.png`;
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--lang=de-DE',
        `--host-resolver-rules=MAP ${imageHost} 127.0.0.1`],
      ignoreHTTPSErrors: true,
      locale: 'de-DE',
      timezoneId: 'Europe/Berlin',
      viewport: { width: 1200, height: 800 },
      timeout: 30_000,
    });
    context.setDefaultTimeout(STEP_TIMEOUT);
    await context.route(`${publicBase}/**`, async (route) => {
      const u = new URL(route.request().url());
      const response = await route.fetch({ url: `http://127.0.0.1:${listenerPort.n}${u.pathname}${u.search}`, maxRedirects: 0 });
      await route.fulfill({ response });
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspRefusals.push(msg.text());
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(msg.text());
    });
  });

  after(async () => {
    if (page) await page.screenshot({ path: join(outDir, 'last.png') }).catch(() => {});
    await context?.close().catch(() => {});
    await Promise.all([stop(desk), stop(sink)]);
    for (const dir of [dataDir, profileDir, mailDir]) rmSync(dir, { recursive: true, force: true });
  });

  it('opens an empty desk in German', async () => {
    await page.goto(desk.info.url);
    await waitForText('screen-title', de['screen.recipients.title']);
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    await byTestId('recipients-empty').waitFor();
    await assertGerman('Empfänger, leer');
    await shot('de-01-empty');
  });

  it('sets up the sender, the mail server (defaults shown) and the listener', async () => {
    await byTestId('nav-settings').click();
    await waitForText('screen-title', de['screen.settings.title']);
    // Empty Settings show what a send would use, not "Port 0".
    assert.equal(await byTestId('smtp-port').inputValue(), '587');
    assert.equal(await byTestId('smtp-security').inputValue(), 'starttls');
    assert.equal(await byTestId('smtp-maxConnections').inputValue(), '8');
    await assertGerman('Einstellungen, leer');
    await shot('de-02-settings-empty');

    await byTestId('sender-fromName').fill(business);
    await byTestId('sender-fromAddress').fill('info@reisebuero-sonnenschein.example');
    await byTestId('sender-save').click();
    await byTestId('sender-saved').waitFor();

    // The business on the recipient pages: name and logo.
    await byTestId('branding-name').fill(business);
    await byTestId('branding-save').click();
    await byTestId('branding-saved').waitFor();
    await byTestId('branding-logo-file').setInputFiles(logoPath);
    await byTestId('branding-logo').waitFor();

    await byTestId('smtp-host').fill(sink.info.host);
    await byTestId('smtp-security').selectOption('none');
    await byTestId('smtp-port').fill(String(sink.info.port));
    await byTestId('smtp-save').click();
    await byTestId('smtp-saved').waitFor();

    listenerPort.n = await freePort();
    await byTestId('listener-addr').fill(`127.0.0.1:${listenerPort.n}`);
    await byTestId('listener-publicUrl').fill(publicBase);
    await byTestId('listener-save').click();
    await byTestId('listener-saved').waitFor();
    await byTestId('listener-start').click();
    await byTestId('listener-running').waitFor();
    await assertGerman('Einstellungen, eingerichtet');
    await shot('de-03-settings-done');
  });

  it('imports a Windows-1252 file into a new list with newsletter consent', async () => {
    await byTestId('nav-recipients').click();
    await byTestId('recipients-empty-import').click();
    await byTestId('import-file').setInputFiles(csvPath);
    await byTestId('import-format').waitFor();
    assert.match(await byTestId('import-format').innerText(), /Windows-1252/);
    // The umlauts arrive decoded.
    await page.getByText('Großmann').first().waitFor();
    await byTestId('import-listName').fill(listName);
    await byTestId('map-Newsletter').selectOption(`consent:newsletter:${listName}`);
    await assertGerman('Import, Zuordnung');
    await shot('de-04-import-mapping');
    await byTestId('import-next').click();
    await byTestId('import-consentSource').fill('Anmeldekarte im Reisebüro');
    await byTestId('import-consentEvidence').fill('Unterschriebene Karten, Ordner „Newsletter 2026“');
    await assertGerman('Import, Optionen');
    await byTestId('import-run').click();
    await byTestId('import-result').waitFor();
    await waitForText('result-created', '4');
    await waitForText('result-rejected', '1');
    // "Familie" is no gender: the row is imported with the neutral salutation and a warning.
    assert.match(await byTestId('import-warnings').innerText(), /Familie/);
    assert.match(await byTestId('rejected-row').innerText(), /uwe\.lang@gmx\.\.de/);
    await assertGerman('Import, Ergebnis');
    await shot('de-05-import-result');
  });

  it('downloads the rejected row in the file’s own layout with the reason', async () => {
    const download = page.waitForEvent('download');
    await byTestId('import-download-rejected').click();
    const file = await download;
    const path = join(mailDir, 'rejected.csv');
    await file.saveAs(path);
    const lines = readFileSync(path, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], /^Anrede;Vorname;Nachname;E-Mail;Newsletter;/);
    assert.match(lines[1], /^Herr;Uwe;Lang;uwe\.lang@gmx\.\.de;ja;/);
    // The reason names the domain, in German.
    assert.match(lines[1], /Domain/);
  });

  it('keeps a draft that links a survey before it exists, and blocks sending', async () => {
    await byTestId('nav-mailings').click();
    await waitForText('screen-title', de['screen.mailings.title']);
    await byTestId('mailings-empty').waitFor();
    await assertGerman('Mailings, leer');
    await byTestId('mailing-new').click();
    await byTestId('mailing-name').fill('Sommerbrief');
    await byTestId('mailing-subject').fill('Sommer am Meer, {{ first_name | default:"liebe Gäste" }}');
    await byTestId('mailing-body').fill(
      [
        '{{ salutation }}',
        '',
        'die Sonne scheint, und wir haben Ihre Sommerreisen.',
        '',
        `![Strand](${imageURL})`,
        '',
        `[Zur Umfrage]({{ survey_url "${surveySlug}" }})`,
        '',
        'Herzliche Grüße',
        'Ihr Reisebüro Sonnenschein',
      ].join('\n'),
    );
    await byTestId('mailing-list').selectOption({ label: listName });
    await byTestId('mailing-save').click();
    await byTestId('mailing-saved-problem').waitFor();
    assert.match(await byTestId('error-body').innerText(), new RegExp(surveySlug));
    await byTestId('send-blocked').waitFor();
    await assertGerman('Mailing, Entwurf mit Problem');
    await shot('de-06-draft-blocked');
  });

  it('duplicates the mailing with a German name', async () => {
    await byTestId('mailing-duplicate').click();
    const copy = de['mailings.copyName'].replace('{name}', 'Sommerbrief');
    await page.waitForFunction((want) => document.querySelector('[data-testid="mailing-name"]')?.value === want, copy);
    await byTestId('mailing-back').click();
    await byTestId('mailings-table').getByText(copy).waitFor();
    await assertGerman('Mailings, Liste');
    await shot('de-08-mailings-duplicated');
  });

  it('creates the survey; the draft can then be sent', async () => {
    await byTestId('nav-surveys').click();
    await waitForText('screen-title', de['screen.surveys.title']);
    await byTestId('survey-new').click();
    await byTestId('survey-name').fill('Sommerumfrage');
    await page.waitForFunction((slug) => document.querySelector('[data-testid="survey-slug"]')?.value === slug, surveySlug);
    await byTestId('survey-title').fill('Wohin geht die Reise?');
    await byTestId('add-question-rating').click();
    await byTestId('question-0-text').fill('Wie zufrieden waren Sie mit Ihrer letzten Reise?');
    await byTestId('survey-save').click();
    await byTestId('survey-saved').waitFor();
    await byTestId('survey-open').click();
    await waitForText('survey-status', de['surveys.status.open']);
    await assertGerman('Umfrage');
    await shot('de-09-survey');

    await byTestId('nav-mailings').click();
    await page.locator('[data-testid^="mailing-open-"]', { hasText: /^Sommerbrief$/ }).click();
    await byTestId('mailing-save').click();
    await byTestId('mailing-saved').waitFor();
    assert.equal(await byTestId('send-blocked').count(), 0);
    await byTestId('send-panel').waitFor();
    // Three people with newsletter consent; Zoë said no.
    await waitForMatch('audience-eligible', /^3\D+4$/);
    await assertGerman('Mailing, versandbereit');
    await shot('de-10-ready-to-send');
  });

  it('previews the external https image: the CSP lets it through and it loads', async () => {
    // The preview's sandboxed iframe requests the picture from the sink's HTTPS server (Playwright cannot
    // intercept requests from an opaque origin, so a real server answers).
    const img = page.frameLocator('[data-testid="preview-frame"]').locator('img[alt="Strand"]');
    await img.waitFor({ state: 'attached' });
    assert.equal(await img.getAttribute('src'), imageURL);
    const size = await img.evaluate(
      (el) =>
        new Promise((done) => {
          const report = () => done({ complete: el.complete, width: el.naturalWidth, height: el.naturalHeight });
          if (el.complete) report();
          else {
            el.addEventListener('load', report, { once: true });
            el.addEventListener('error', report, { once: true });
          }
        }),
    );
    assert.deepEqual(size, { complete: true, width: 96, height: 32 }, `the external image did not load: ${JSON.stringify(size)}`);
    assert.deepEqual(cspRefusals, []);
    await img.scrollIntoViewIfNeeded();
    await shot('de-07-preview');
    await byTestId('preview-frame').screenshot({ path: join(outDir, 'de-07-preview-frame.png') });
  });

  it('sends through the local SMTP sink', async () => {
    await byTestId('send-start').click();
    await byTestId('send-confirm-confirm').click();
    await waitForMatch('send-counts', new RegExp(`^${de['send.run.status.done']}`));
    const deadline = Date.now() + STEP_TIMEOUT;
    while (mails().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const got = mails();
    const addresses = got.map((m) => /<([^>]+)>/.exec(m.to)?.[1] ?? m.to).sort();
    assert.deepEqual(addresses, ['baerbel.grossmann@example.de', 'familie.oezdemir@example.de', 'juergen.weiss@example.de']);
    await assertGerman('Mailing, versendet');
    await shot('de-11-sent');
  });

  const links = { profile: '', unsubscribe: '' };

  it('sends mails with the salutation and the profile and unsubscribe links', () => {
    const juergen = mails().find((m) => m.to.includes('juergen.weiss@example.de'));
    assert.ok(juergen, 'no mail to Jürgen');
    assert.match(juergen.text, /Sehr geehrter Herr Weiß/);
    assert.match(juergen.text, /Herzliche Grüße<br>\s*Ihr Reisebüro Sonnenschein|Herzliche Grüße\r?\nIhr Reisebüro Sonnenschein/);
    const urls = [...juergen.text.matchAll(/https:\/\/news\.reisebuero-sonnenschein\.example\/[^\s"<>)]+/g)].map((m) =>
      m[0].replace(/&amp;/g, '&'),
    );
    links.profile = urls.find((u) => u.startsWith(`${publicBase}/p/`)) ?? '';
    links.unsubscribe = urls.find((u) => u.startsWith(`${publicBase}/u/`)) ?? '';
    assert.ok(links.profile !== '' && links.unsubscribe !== '', `links in the mail: ${urls.join('\n')}`);
  });

  /** assertBranded checks a recipient page: German, the business's name, its logo loaded, no "der Absender". */
  async function assertBranded(visitor, what) {
    assert.equal(await visitor.getAttribute('html', 'lang'), 'de', what);
    const text = await visitor.locator('body').innerText();
    assert.match(text, new RegExp(business), `${what}: the business's name`);
    assert.doesNotMatch(text, /der Absender|dem Absender|des Absenders/, `${what}: "der Absender" instead of the name`);
    await visitor.waitForFunction(() =>
      [...document.images].some((img) => img.src.includes('/logo/') && img.complete && img.naturalWidth === 96),
    );
  }

  it('shows the profile and unsubscribe pages with the business name and logo', async () => {
    const visitor = await context.newPage();
    try {
      await visitor.goto(links.profile);
      await assertBranded(visitor, 'profile page');
      await visitor.screenshot({ path: join(outDir, 'de-12-profile.png'), fullPage: true });
      await visitor.goto(links.unsubscribe);
      await assertBranded(visitor, 'unsubscribe page');
      // It names the list and the (masked) address.
      const text = await visitor.locator('body').innerText();
      assert.match(text, new RegExp(listName));
      assert.doesNotMatch(text, /juergen\.weiss@example\.de/, 'the address is masked');
      await visitor.screenshot({ path: join(outDir, 'de-13-unsubscribe.png'), fullPage: true });
    } finally {
      await visitor.close();
    }
  });

  it('shows the same states in English', async () => {
    await byTestId('lang-en').click();
    await waitForText('nav-settings', en['screen.settings.title']);
    await shot('en-11-sent');
    await byTestId('mailing-back').click();
    await shot('en-08-mailings');
    await page.locator('[data-testid^="mailing-open-"]', { hasText: de['mailings.copyName'].replace('{name}', 'Sommerbrief') }).first().click();
    await byTestId('mailing-name').waitFor();
    await shot('en-06-draft');
    await byTestId('nav-recipients').click();
    await shot('en-04-recipients');
    await byTestId('nav-settings').click();
    await shot('en-03-settings');
    const visitor = await context.newPage();
    try {
      await visitor.setExtraHTTPHeaders({ 'Accept-Language': 'en' });
      await visitor.goto(links.profile);
      await visitor.screenshot({ path: join(outDir, 'en-12-profile.png'), fullPage: true });
      await visitor.goto(links.unsubscribe);
      await visitor.screenshot({ path: join(outDir, 'en-13-unsubscribe.png'), fullPage: true });
    } finally {
      await visitor.close();
    }
    await byTestId('lang-de').click(); // the saved language stays German for the next run
  });

  /** fill puts params into a catalogue text, as the desk does. */
  const fill = (text, params) => text.replace(/\{(\w+)\}/g, (m, name) => params[name] ?? m);

  it('imports a provider log: quarantine and rejected rows give their reasons in German', async () => {
    // A SendGrid export: an open by an address nobody has, an open naming no mailing, Bärbel's
    // unsubscribe at the provider (applied without a mailing), and an event without an address.
    const at = Math.floor(Date.now() / 1000) - 5; // after the recipient import, so the withdrawal is the newest record
    const log = [
      { email: 'unbekannt@example.org', event: 'open', timestamp: at, sg_event_id: 'j1', sg_message_id: 'm1' },
      { email: 'juergen.weiss@example.de', event: 'open', timestamp: at + 1, sg_event_id: 'j2', sg_message_id: 'm2' },
      { email: 'baerbel.grossmann@example.de', event: 'unsubscribe', timestamp: at + 2, sg_event_id: 'j3', sg_message_id: 'm3' },
      { event: 'open', timestamp: at + 3, sg_event_id: 'j4', sg_message_id: 'm4' },
    ];
    const logPath = join(mailDir, 'sendgrid-events.json');
    writeFileSync(logPath, JSON.stringify(log));
    await byTestId('nav-reactions').click();
    await waitForText('screen-title', de['screen.reactions.title']);
    await byTestId('reactions-file').setInputFiles(logPath);
    await byTestId('reactions-run').click();
    await byTestId('reactions-result').waitFor();
    await waitForText('result-unmatched', '2');
    const reasons = byTestId('quarantine-reason');
    await reasons.nth(1).waitFor();
    const german = [
      fill(de['reason.quarantine.unknownAddress'], { email: 'unbekannt@example.org' }),
      de['reason.quarantine.noMailing'],
    ];
    assert.deepEqual(await reasons.allInnerTexts(), german);
    assert.equal((await byTestId('reactions-errors').locator('tbody td').nth(1).innerText()).trim(), fill(de['error.reactions.row.emailMissing'], { field: 'email' }));
    await assertGerman('Versand-Log, Ergebnis und Quarantäne');
    await shot('de-14-quarantine');
    await byTestId('reactions-errors').screenshot({ path: join(outDir, 'de-14-rejected.png') });
    await byTestId('reactions-quarantine').screenshot({ path: join(outDir, 'de-14-quarantine-table.png') });
    // The same rows in English, then back.
    await byTestId('lang-en').click();
    await page.waitForFunction(
      (want) => [...document.querySelectorAll('[data-testid="quarantine-reason"]')].map((e) => e.textContent?.trim()).join('|') === want,
      [fill(en['reason.quarantine.unknownAddress'], { email: 'unbekannt@example.org' }), en['reason.quarantine.noMailing']].join('|'),
    );
    await byTestId('reactions-errors').screenshot({ path: join(outDir, 'en-14-rejected.png') });
    await byTestId('reactions-quarantine').screenshot({ path: join(outDir, 'en-14-quarantine-table.png') });
    await byTestId('lang-de').click();
    await waitForText('screen-title', de['screen.reactions.title']);
  });

  it('shows the withdrawal from the provider log in the consent ledger in German', async () => {
    await byTestId('nav-recipients').click();
    await page.getByTestId('recipient-row').filter({ hasText: 'baerbel.grossmann@example.de' }).click();
    await byTestId('recipient-detail').waitFor();
    const wording = fill(de['ledger.wording.providerUnsubscribe'], { provider: 'sendgrid' });
    await page.getByTestId('ledger-wording').filter({ hasText: wording }).waitFor();
    const evidence = await page.getByTestId('ledger-evidence').allInnerTexts();
    assert.ok(
      evidence.some((e) => e.includes(fill(de['ledger.evidence.providerLog'], { file: 'sendgrid-events.json', line: '3', event: 'unsubscribe' }))),
      `evidence: ${evidence.join(' | ')}`,
    );
    assert.match(await byTestId('detail-source').innerText(), /Importiert aus „[^“]+“ am \d{2}\.\d{2}\.\d{4} \(Import \d+\)/);
    await assertGerman('Empfänger, Einwilligungen');
    await byTestId('ledger').screenshot({ path: join(outDir, 'de-15-ledger.png') });
    await byTestId('lang-en').click();
    await page.getByTestId('ledger-wording').filter({ hasText: fill(en['ledger.wording.providerUnsubscribe'], { provider: 'sendgrid' }) }).waitFor();
    await byTestId('ledger').screenshot({ path: join(outDir, 'en-15-ledger.png') });
    await byTestId('lang-de').click();
  });

  it('names the changed settings in words in the audit log', async () => {
    await byTestId('nav-settings').click();
    await byTestId('audit-entry').first().waitFor();
    const audit = await byTestId('audit-log').innerText();
    assert.doesNotMatch(audit, /branding|settings\.update|\bsmtp\b|\blistener\b/, audit);
    assert.match(audit, new RegExp(fill(de['audit.action.settings.update'], { subject: de['audit.setting.branding.logo'] })));
    await byTestId('audit-log').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(outDir, 'de-16-audit.png') });
  });

  it('raised no errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
