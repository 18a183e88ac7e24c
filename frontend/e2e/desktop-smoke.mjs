// Desktop smoke test: starts the real desktop binary in the X display that
// xvfb-run provides, waits for the window to paint, takes a screenshot of the
// screen and fails if it is blank (too few distinct colours to hold any UI).
// Then, on the same data with recipients imported, the second start: the
// page carries the first screen Go rendered (the UI saved its language at
// the first start); it must paint, the UI's own must take its place, and the
// window must show it (not blank).
//
//   xvfb-run -a -s "-screen 0 1400x900x24" node e2e/desktop-smoke.mjs build/bin/resonanz
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = process.argv[2];
if (!bin || !process.env.DISPLAY) {
  console.error('usage (inside xvfb-run): node desktop-smoke.mjs BINARY');
  process.exit(2);
}
const outDir = join(dirname(fileURLToPath(import.meta.url)), 'out');
mkdirSync(outDir, { recursive: true });
const shot = join(outDir, 'desktop.png');
const dataDir = mkdtempSync(join(tmpdir(), 'resonanz-smoke-'));
const MIN_COLOURS = 32; // an empty window or a bare background has a handful
const deadline = Date.now() + 45_000;

const app = spawn(bin, ['--data', dataDir], { stdio: ['ignore', 'inherit', 'pipe'] });
let stderr = '';
app.stderr.on('data', (d) => (stderr += d));
let exited = null;
app.on('exit', (code, signal) => (exited = { code, signal }));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const colours = () => {
  execFileSync('import', ['-window', 'root', shot]);
  return Number(execFileSync('convert', [shot, '-format', '%k', 'info:']).toString().trim());
};

let ok = false;
let last = 0;
/** waitFor resolves with the first stderr line of child that matches re (rejects after ms). */
function waitFor(child, re, ms) {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${ms} ms:\n${text}`)), ms);
    child.stderr.on('data', (d) => {
      text += d;
      const line = text.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.on('exit', (code) => reject(new Error(`the app exited (${code}) before a line matching ${re}:\n${text}`)));
  });
}

/** secondStart imports recipients into the data of the first start, starts the window again and checks the prerendered first screen. */
async function secondStart() {
  const csv = join(dataDir, 'kunden.csv');
  writeFileSync(csv, 'E-Mail;Vorname;Nachname\n' + Array.from({ length: 60 }, (_, i) => `person${i}@example.org;Anna;Müller\n`).join(''));
  execFileSync(bin, ['--data', dataDir, 'import', 'recipients', csv]);
  const again = spawn(bin, ['--data', dataDir], { stdio: ['ignore', 'inherit', 'pipe'] });
  try {
    const first = await waitFor(again, /msg="first screen"/, 45_000);
    if (!first.includes('prerendered=true')) throw new Error(`the second start painted no prerendered first screen: ${first}`);
    await waitFor(again, /msg="first screen ready"/, 20_000);
    await sleep(1000);
    const n = colours();
    if (n < MIN_COLOURS) throw new Error(`after the UI took the prerendered screen's place the window is blank: ${n} distinct colours; see ${shot}`);
    console.log(`desktop smoke: second start prerendered its first screen, the UI took its place (${n} distinct colours)`);
  } finally {
    again.kill('SIGTERM');
    await sleep(300);
    if (again.exitCode === null) again.kill('SIGKILL');
  }
}

try {
  // Give the UI a moment beyond the first paint so the shell has loaded its data.
  while (Date.now() < deadline) {
    await sleep(1000);
    if (exited) throw new Error(`the app exited early (${JSON.stringify(exited)}):\n${stderr}`);
    last = colours();
    if (last >= MIN_COLOURS) {
      await sleep(1500);
      last = colours();
      ok = last >= MIN_COLOURS;
      break;
    }
  }
  if (!existsSync(join(dataDir, 'resonanz.db'))) throw new Error('the app did not create its store in --data');
  if (!ok) throw new Error(`the window stayed blank: ${last} distinct colours (want ≥ ${MIN_COLOURS}); see ${shot}\n${stderr}`);
  console.log(`desktop smoke: window painted (${last} distinct colours), screenshot ${shot}`);
  if (!/msg="first screen" .*prerendered=false/.test(stderr)) throw new Error(`the first start (no recipients) logged no first screen of the UI's own:\n${stderr}`);
  app.kill('SIGTERM');
  await sleep(500);
  if (!exited) app.kill('SIGKILL');
  await secondStart();
} catch (err) {
  console.error('desktop smoke FAILED:', err.message);
  process.exitCode = 1;
} finally {
  app.kill('SIGTERM');
  await sleep(300);
  if (!exited) app.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
