// Shared harness: starts the real quizd on a free port (read back from its
// stdout, no sleeps), launches Debian's Chromium through playwright-core, and
// records console errors and failed requests of every page.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const SOURCE_DIR = process.env.QZ_SOURCE_DIR || path.resolve(import.meta.dirname, '../..');
export const QUIZD = process.env.QUIZD || path.join(SOURCE_DIR, 'build/quizd');
export const SHOTS = process.env.QZ_SCREENSHOT_DIR || path.join(SOURCE_DIR, 'build/screenshots');
mkdirSync(SHOTS, { recursive: true });

const MULT = Number(process.env.QZ_TEST_TIMEOUT_MULTIPLIER || 1);
export const T = (ms) => ms * MULT;

export const QUIZD_PACK = process.env.QUIZD_PACK || path.join(path.dirname(QUIZD), 'quizd-pack');

// Unless `extra` chooses (--data or --no-data), quizd gets a fresh data
// directory, removed by stop(): the browser tests run with persistence on,
// as users do.
export async function startQuizd(extra = [], { packs = `${SOURCE_DIR}/tests/data/packs` } = {}) {
  const args = ['--port=0', '--bind=127.0.0.1', '--no-corpus', `--packs=${packs}`, ...extra];
  const chosen = extra.some((a) => a.startsWith('--data') || a === '--no-data');
  const dataDir = chosen ? null : mkdtempSync(path.join(os.tmpdir(), 'qz-e2e-'));
  if (dataDir) args.push(`--data=${dataDir}`);
  const removeData = () => { if (dataDir) rmSync(dataDir, { recursive: true, force: true }); };
  const child = spawn(QUIZD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`quizd did not report readiness:\n${stderr}`)), T(10000));
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening port=(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      removeData();
      reject(new Error(`quizd exited early (${code}):\n${stderr}`));
    });
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) {
        removeData();
        return child.exitCode;
      }
      const done = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), T(5000));
      const code = await done;
      clearTimeout(timer);
      removeData();
      return code;
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A page that collects console errors, page errors, dialogs and HTTP errors.
export async function newPage(browser, viewport, problems, options = {}) {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1, ...options });
  const page = await ctx.newPage();
  page.setDefaultTimeout(T(10000));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => {
    // No browser popup belongs on a projector: every dialog is a problem.
    problems.push(`${d.type()}: ${d.message()}`);
    await d.accept();
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`http ${r.status()}: ${r.url()}`); });
  return page;
}

export const PROJECTOR = { width: 1920, height: 1080 };
export const PHONE = { width: 390, height: 844 };

export async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}
