// Desktop smoke test: starts the real desktop binary in the X display that
// xvfb-run provides, waits for the window to paint, takes a screenshot of the
// screen and fails if it is blank (too few distinct colours to hold any UI).
//
//   xvfb-run -a -s "-screen 0 1400x900x24" node e2e/desktop-smoke.mjs build/bin/resonanz
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, existsSync, rmSync } from 'node:fs';
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
} catch (err) {
  console.error('desktop smoke FAILED:', err.message);
  process.exitCode = 1;
} finally {
  app.kill('SIGTERM');
  await sleep(300);
  if (!exited) app.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
