// The show, measured in headless Chromium against the real quizd: projector
// screens at the resolutions meetups use (type sizes as a share of the
// viewport, the countdown, host buttons and "Why" on screen, code that fits
// without scrolling), phones at 390 and 320 px and in landscape (no silently
// clipped code, a sticky countdown, the four buttons on screen), axe-core on
// every screen, contrast and focus rings from the computed styles, the
// leaderboard's movement, the podium's order, late joiners, presenter keys,
// the review and report downloads, and a 100-player lobby.
// The worst-case questions come from the default pack, derived at start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { startQuizd, launch, newPage, shot, PROJECTOR, PHONE, SOURCE_DIR, QUIZD_PACK } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const PROJECTORS = [
  { width: 1024, height: 768 }, { width: 1280, height: 720 }, { width: 1366, height: 768 },
  { width: 1920, height: 1080 }, { width: 3840, height: 2160 },
];
const PHONE_SMALL = { width: 320, height: 568 };
const PHONE_LARGE = { width: 430, height: 932 };
const PHONE_LANDSCAPE = { width: 844, height: 390 };
const PHONE_LANDSCAPE_LARGE = { width: 932, height: 430 };
// Share of the viewport height (issue 13, "what done looks like").
const MIN_PROMPT = 0.045;
const MIN_CODE = 0.028;
const MIN_OPTION = 0.035;

let server;
let browser;
let packDir;
let showPack;

function maxBy(list, f) {
  return list.reduce((best, q) => (f(q) > f(best) ? q : best));
}

// The default pack's hardest questions to lay out: most code lines, widest
// code line, most code plus prompt, longest prompt, longest options, longest
// explanation.
function worstCases(pack) {
  const lines = (q) => q.code.split('\n').length;
  const width = (q) => Math.max(...q.code.split('\n').map((l) => [...l].length));
  const code = pack.questions.filter((q) => q.code);
  const longOptions = code.filter((q) => q.options.some((o) => [...o].length > 14));
  const picks = [
    maxBy(code, lines), maxBy(code, width), maxBy(code, (q) => lines(q) * 60 + q.prompt.length),
    maxBy(longOptions, lines),
    maxBy(pack.questions, (q) => q.prompt.length),
    maxBy(pack.questions, (q) => Math.max(...q.options.map((o) => o.length))),
    maxBy(pack.questions, (q) => q.explanation.length),
  ];
  return [...new Map(picks.map((q) => [q.id, q])).values()];
}

before(async () => {
  packDir = mkdtempSync(path.join(os.tmpdir(), 'quizd-show-'));
  const derived = path.join(packDir, 'derived.json.tmp');
  execFileSync(QUIZD_PACK, ['derive', path.join(SOURCE_DIR, 'server/data/corpus/senior-python-interview.txt'), '-o', derived]);
  const full = JSON.parse(readFileSync(derived, 'utf8'));
  rmSync(derived);
  // Beyond the pack: the longest code block with an explanation as long as
  // the pack format allows (2,000 bytes), so the reveal's scrolling "Why"
  // is exercised whatever the derivation writes.
  const questions = worstCases(full);
  const tallest = maxBy(full.questions.filter((q) => q.code), (q) => q.code.split('\n').length);
  const sentence = 'The explanation is long on purpose: it must scroll inside its own box. ';
  // (Its own prompt names it apart; one line, like the tallest's.)
  questions.push({ ...tallest, id: 'layout-long-why', prompt: 'What does line “# ?” print? (long why)',
    explanation: sentence.repeat(Math.floor(2000 / sentence.length)).trim() });
  showPack = { format: 'quizd-pack/1', id: 'show', title: 'Layout worst cases', source: 'tests', questions };
  writeFileSync(path.join(packDir, 'show.json'), JSON.stringify(showPack));
  copyFileSync(path.join(SOURCE_DIR, 'tests/data/packs/test.json'), path.join(packDir, 'test.json'));
  server = await startQuizd([], { packs: packDir });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  const code = await server?.stop();
  if (packDir) rmSync(packDir, { recursive: true, force: true });
  assert.equal(code, 0, `quizd exited with ${code}:\n${server?.stderr()}`);
});

// ------------------------------------------------------------------ helpers

async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

async function resize(page, vp) {
  await page.setViewportSize(vp);
  await page.waitForFunction(([w, h]) => innerWidth === w && innerHeight === h, [vp.width, vp.height]);
  await settle(page);
}

// axe-core in the page: no serious or critical violation.
async function axe(page, label) {
  await page.evaluate(() => document.getAnimations().forEach((a) => a.finish()));
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.failureSummary || ''}`).join(' | ')}`);
  assert.deepEqual(bad, [], `axe on ${label}`);
}

async function hostRoom(problems, { pack, count, seconds = '60', scoring } = {}) {
  const host = await newPage(browser, PROJECTOR, problems);
  await host.goto(server.url + '/');
  await host.click('#host-btn');
  await host.selectOption('#pack', pack);
  await host.fill('#count', String(count));
  await host.selectOption('#seconds', seconds);
  if (scoring) await host.check(`input[name=scoring][value=${scoring}]`);
  await host.click('#create-btn');
  const code = (await host.textContent('#room-code')).trim();
  return { host, code };
}

async function join(code, name, problems, viewport = PHONE, options = {}) {
  const p = await newPage(browser, viewport, problems, options);
  await p.goto(`${server.url}/?room=${code}`);
  await p.fill('#join-name', name);
  await p.click('#join-btn');
  await p.waitForSelector('.waiting h1');
  return p;
}

function inside(box, vp, what) {
  assert.ok(box, `${what} is missing`);
  assert.ok(box.top >= -1 && box.left >= -1 && box.bottom <= vp.height + 1 && box.right <= vp.width + 1,
    `${what} is outside the ${vp.width}×${vp.height} viewport: ${JSON.stringify(box)}`);
}

// Everything the projector screens promise, read from the live layout.
function measure() {
  const box = (sel) => {
    const e = document.querySelector(sel);
    if (!e) return null;
    const r = e.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
  };
  const fs = (sel) => {
    const e = document.querySelector(sel);
    return e ? parseFloat(getComputedStyle(e).fontSize) : null;
  };
  const blocks = [...document.querySelectorAll('.code-block')].map((c) => ({
    sw: c.scrollWidth, cw: c.clientWidth, sh: c.scrollHeight, ch: c.clientHeight, wrap: c.classList.contains('wrap'),
    scrolls: c.parentNode.classList.contains('scrolls'),
    hint: (() => { const h = c.parentNode.querySelector('.code-more'); return !!h && getComputedStyle(h).display !== 'none'; })(),
    focusable: c.tabIndex >= 0,
    fs: parseFloat(getComputedStyle(c).fontSize),
  }));
  const why = document.querySelector('#why');
  return {
    prompt: fs('.prompt'), option: fs('.opts .opt'), blocks,
    docW: document.documentElement.scrollWidth,
    boxes: {
      countdown: box('.countdown'), next: box('#next-btn'), end: box('#end-btn'), why: box('#why'),
      room: box('#stage-room'), opts: box('.opts'), code: box('.code-wrap'),
    },
    whyScroll: why ? {
      sh: why.scrollHeight, ch: why.clientHeight, focusable: why.tabIndex >= 0,
      hint: (() => { const h = why.querySelector('.why-more'); return !!h && getComputedStyle(h).display !== 'none' && h.getClientRects().length > 0; })(),
      fs: parseFloat(getComputedStyle(why).fontSize), lh: parseFloat(getComputedStyle(why).lineHeight),
    } : null,
    buttons: [...document.querySelectorAll('button.opt')].map((b) => { const r = b.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; }),
    vh: innerHeight,
    vw: innerWidth,
  };
}

// Code never clips silently: it fits, or it scrolls with a visible hint.
function assertCodeHonest(blocks, label) {
  for (const b of blocks) {
    const clipped = b.sw > b.cw + 1 || b.sh > b.ch + 1;
    if (clipped) assert.ok(b.scrolls && b.hint && b.focusable, `${label}: code overflows (${JSON.stringify(b)}) without a scroll hint`);
  }
}

function assertProjector(m, vp, label, { reveal = false } = {}) {
  const where = `${label} at ${vp.width}×${vp.height}`;
  assert.ok(m.prompt >= MIN_PROMPT * vp.height - 0.5, `${where}: prompt ${m.prompt}px < ${MIN_PROMPT * 100} % of ${vp.height}`);
  assert.ok(m.option >= MIN_OPTION * vp.height - 0.5, `${where}: options ${m.option}px < ${MIN_OPTION * 100} %`);
  // The code fits whole, on the question and on the reveal: it never
  // scrolls on the projector, whatever the arrangement.
  for (const b of m.blocks) {
    assert.ok(b.fs >= MIN_CODE * vp.height - 0.5, `${where}: code ${b.fs}px < ${MIN_CODE * 100} %`);
    assert.ok(b.sw <= b.cw + 1 && b.sh <= b.ch + 1 && !b.scrolls, `${where}: code does not fit: ${JSON.stringify(b)}`);
  }
  assertCodeHonest(m.blocks, where);
  assert.ok(m.docW <= vp.width, `${where}: page overflows sideways (${m.docW}px)`);
  inside(m.boxes.next, vp, `${where}: next button`);
  inside(m.boxes.end, vp, `${where}: end button`);
  inside(m.boxes.room, vp, `${where}: room code`);
  inside(m.boxes.opts, vp, `${where}: options`);
  if (reveal) {
    // A long explanation shrinks within the floor, then scrolls in its own
    // box (hint, keyboard focus, a few lines visible): it never pushes the
    // host's controls off the screen (checked above).
    inside(m.boxes.why, vp, `${where}: "Why"`);
    const w = m.whyScroll;
    assert.ok(w.fs >= MIN_CODE * vp.height - 0.5, `${where}: explanation ${w.fs}px < ${MIN_CODE * 100} %`);
    if (w.sh > w.ch + 1) {
      assert.ok(w.hint && w.focusable, `${where}: the explanation scrolls without a hint: ${JSON.stringify(w)}`);
      assert.ok(w.ch >= 2.5 * w.lh, `${where}: the scrolling explanation shows under 3 lines: ${JSON.stringify(w)}`);
    }
  } else {
    inside(m.boxes.countdown, vp, `${where}: countdown`);
  }
}

const qnum = (i) => `Question ${i + 1} of`;

// WCAG contrast of computed colours, with the nearest opaque background.
function contrastReport(selectors) {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (x, y) => { const a = lum(x); const b = lum(y); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const bgOf = (e) => {
    for (let n = e; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0.99) return c;
    }
    return parse(getComputedStyle(document.body).backgroundColor);
  };
  const out = [];
  for (const sel of selectors) {
    for (const e of document.querySelectorAll(sel)) {
      out.push({ sel, text: e.textContent.slice(0, 20), ratio: Math.round(ratio(parse(getComputedStyle(e).color), bgOf(e)) * 100) / 100 });
    }
  }
  return out;
}

// The focus ring of each button, drawn after a keyboard interaction.
async function focusRings(page, selectors) {
  const out = [];
  for (const sel of selectors) {
    const ids = await page.$$eval(sel, (els) => els.map((e, i) => { e.dataset.ringProbe = `${i}`; return i; }));
    for (const i of ids) {
      await page.keyboard.press('Shift');
      out.push(await page.evaluate(([s, i]) => {
        const e = document.querySelector(`${s}[data-ring-probe="${i}"]`);
        e.focus();
        const cs = getComputedStyle(e);
        const parse = (c) => c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
        const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
          .reduce((acc, v, k) => acc + v * [0.2126, 0.7152, 0.0722][k], 0);
        const ratio = (x, y) => { const a = lum(x); const b = lum(y); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
        const bg = parse(cs.backgroundColor);
        const ring = parse(cs.outlineColor);
        const shadow = cs.boxShadow.match(/rgb[^)]*\)/) ? parse(cs.boxShadow.match(/rgb[^)]*\)/)[0]) : ring;
        return {
          sel: s, visible: e.matches(':focus-visible'), style: cs.outlineStyle, width: parseFloat(cs.outlineWidth),
          best: Math.round(Math.max(ratio(ring, bg), ratio(shadow, bg)) * 100) / 100,
        };
      }, [sel, i]));
    }
  }
  return out;
}

// ------------------------------------------------------------------ tests

test('projector and phones: readable and on screen at every common resolution', async () => {
  const problems = [];
  const n = showPack.questions.length;
  // The longest time a question can have: each question is measured at five
  // projector sizes and three phones (with axe) before anyone answers, which
  // took over 60 s under ASan on a busy machine and closed the question.
  const { host, code } = await hostRoom(problems, { pack: 'show', count: n, seconds: '120' });
  const p390 = await join(code, 'Ada', problems, PHONE);
  const p320 = await join(code, 'Bo', problems, PHONE_SMALL);
  const p430 = await join(code, 'Di', problems, PHONE_LARGE);
  const pland2 = await join(code, 'Eve', problems, PHONE_LANDSCAPE_LARGE);
  const pland = await join(code, 'Cyd', problems, PHONE_LANDSCAPE);
  // Phones from 320 to 430 px wide, portrait and landscape; the last one
  // answers last (its answer closes the question).
  const phones = [
    [p390, PHONE, 'phone 390'], [p320, PHONE_SMALL, 'phone 320'], [p430, PHONE_LARGE, 'phone 430'],
    [pland2, PHONE_LANDSCAPE_LARGE, 'landscape 932'], [pland, PHONE_LANDSCAPE, 'landscape'],
  ];
  await host.waitForFunction((n) => document.querySelectorAll('#players .pchip').length === n, phones.length);
  for (const vp of PROJECTORS) {
    await resize(host, vp);
    const boxes = await host.evaluate(() => ['#room-code', '#qr', '#start-btn', '#players'].map((s) => {
      const r = document.querySelector(s).getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    }));
    boxes.forEach((b, i) => inside(b, vp, `lobby ${['code', 'QR', 'start', 'players'][i]}`));
    await shot(host, `projector-lobby-${vp.width}x${vp.height}`);
  }
  await axe(host, 'projector lobby');
  await axe(p390, 'phone lobby');
  await shot(p390, 'phone-lobby');

  await host.click('#start-btn');
  let scrolledChecks = 0;
  for (let i = 0; i < n; i++) {
    await host.waitForSelector(`.question.host .qnum:text("${qnum(i)}")`);
    const promptText = await host.textContent('.stage .prompt');
    const source = showPack.questions.find((x) => x.prompt === promptText);
    assert.ok(source, `unknown question "${promptText}"`);
    const tag = source.id;   // stable names: the room shuffles the order
    for (const vp of PROJECTORS) {
      await resize(host, vp);
      const m = await host.evaluate(measure);
      await shot(host, `projector-question-${tag}-${vp.width}x${vp.height}`);
      assertProjector(m, vp, `question ${i + 1} (${source.id})`);
    }
    // Phones: the code is never clipped without a sign; the countdown and
    // the four buttons are on screen on a 390×844 phone and in landscape.
    for (const [p, vp, label] of phones) {
      await p.waitForSelector(`.question.player .qnum:text("${qnum(i)}")`);
      await settle(p);
      const m = await p.evaluate(measure);
      assertCodeHonest(m.blocks, `${label} ${source.id}`);
      assert.ok(m.docW <= vp.width, `${label}: page overflows sideways (${m.docW}px)`);
      if (source.code) assert.ok(m.blocks.length === 1, `${label}: the code is shown`);
      if (vp !== PHONE_SMALL) m.buttons.forEach((b, k) => inside(b, vp, `${label} ${source.id}: option ${k + 1}`));
      inside(m.boxes.countdown, vp, `${label}: countdown`);
      await p.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await settle(p);
      const after = await p.evaluate(measure);
      inside(after.boxes.countdown, vp, `${label}: countdown after scrolling down (sticky)`);
      await shot(p, `phone-${label.replace(' ', '')}-question-${tag}-scrolled`);
      await p.evaluate(() => window.scrollTo(0, 0));
      await shot(p, `phone-${label.replace(' ', '')}-question-${tag}`);
    }
    if (i === 0) {
      await axe(host, 'projector question');
      await axe(p390, 'phone question');
      // Focus moved to the new screen's heading.
      assert.equal(await p390.evaluate(() => document.activeElement.tagName), 'H1');
    }
    // Each phone answers and is left scrolled down (where it can scroll):
    // the reveal must open at the top all the same.
    const scrolled = new Set();
    for (const [k, [p]] of phones.entries()) {
      await p.click(`button.opt${k % source.options.length}`);
      if (p === pland) break;
      await p.waitForSelector('#answer-status.ok');
      await p.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      if (await p.evaluate(() => window.scrollY > 0)) scrolled.add(p);
    }
    await host.waitForSelector('.question.host.revealed');
    for (const vp of PROJECTORS) {
      await resize(host, vp);
      const m = await host.evaluate(measure);
      await shot(host, `projector-reveal-${tag}-${vp.width}x${vp.height}`);
      assertProjector(m, vp, `reveal ${i + 1} (${source.id})`, { reveal: true });
    }
    // The spread is a bar chart: widths follow the counts, which are words.
    const spread = await host.$$eval('#reveal-opts .opt', (els) => els.map((e) => ({
      n: Number(e.querySelector('.bar-fill').dataset.n),
      width: e.querySelector('.bar-fill').getBoundingClientRect().width,
      track: e.querySelector('.bar').getBoundingClientRect().width,
      label: e.querySelector('.bar-n').textContent,
      name: e.textContent,
    })));
    assert.equal(spread.reduce((a, s) => a + s.n, 0), phones.length);
    for (const s of spread) {
      assert.match(s.label, /^\d+\sanswers?\s·\s\d+\s%$/);
      assert.ok(Math.abs(s.width - (s.track - 2) * (s.n / phones.length)) <= 3, `bar ${JSON.stringify(s)}`);
    }
    assert.equal((await host.$$eval('#reveal-opts .opt.correct', (els) => els.map((e) => e.textContent)))[0].includes('(correct)'), true);
    for (const [p, , name] of phones) {
      const label = name.replace(' ', '');
      await p.waitForSelector('#verdict');
      // A new screen opens at the top, focus on its heading.
      if (scrolled.has(p)) {
        scrolledChecks++;
        assert.equal(await p.evaluate(() => window.scrollY), 0, `${label}: the reveal opens at the top`);
      }
      if (source.code) assert.equal(await p.$$eval('.code-block', (els) => els.length), 1, `${label}: the reveal shows the code`);
      const m = await p.evaluate(measure);
      assertCodeHonest(m.blocks, `${label} reveal ${source.id}`);
      assert.ok(m.docW <= m.vw, `${label} reveal: page overflows sideways (${m.docW}px)`);
      // The counts are words on a line of their own, under the option's
      // text: never "B 3 … 3".
      const rows = await p.$$eval('#reveal-opts .opt', (els) => els.map((e) => ({
        text: e.querySelector('.otext').getBoundingClientRect().bottom, count: e.querySelector('.bar-n').getBoundingClientRect().top,
      })));
      assert.equal(rows.length, source.options.length);
      for (const r of rows) assert.ok(r.count >= r.text - 1, `${label}: a count beside its option's text ${JSON.stringify(r)}`);
      await shot(p, `${label}-reveal-${tag}`);
    }
    assert.equal(await p390.evaluate(() => document.activeElement.tagName), 'H1');
    if (i === 0) {
      await axe(host, 'projector reveal');
      await axe(p390, 'phone reveal');
    }
    // The 320 phone is left scrolled down the reveal: the leaderboard opens at the top.
    await p320.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const revealScrolled = await p320.evaluate(() => window.scrollY > 0);
    await resize(host, PROJECTOR);
    await host.click('#next-btn');
    await host.waitForSelector('#leaderboard');
    await p390.waitForSelector('#leaderboard');
    await p320.waitForSelector('#leaderboard');
    if (revealScrolled) {
      scrolledChecks++;
      assert.equal(await p320.evaluate(() => window.scrollY), 0, 'the leaderboard opens at the top');
    }
    if (i === 0) {
      for (const vp of PROJECTORS) {
        await resize(host, vp);
        const rows = await host.$$eval('#leaderboard .lb-row', (els) => els.map((e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; }));
        rows.forEach((b) => inside(b, vp, 'leaderboard row'));
        inside(await host.evaluate(() => { const r = document.querySelector('#next-btn').getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; }), vp, 'leaderboard next');
        await host.evaluate(() => document.getAnimations().forEach((x) => x.finish()));
        await shot(host, `projector-leaderboard-${vp.width}x${vp.height}`);
      }
      await resize(host, PROJECTOR);
      await shot(host, 'projector-leaderboard');
      await shot(p390, 'phone-leaderboard');
      await axe(host, 'projector leaderboard');
      await axe(p390, 'phone leaderboard');
    }
    await host.click('#next-btn');
  }
  assert.ok(scrolledChecks > 0, 'a scrolled phone saw a new screen');
  await host.waitForSelector('#podium');
  await p390.waitForSelector('#review');
  await axe(host, 'projector podium and report');
  await axe(p390, 'phone podium and review');
  assert.deepEqual(problems, []);
  for (const p of [host, ...phones.map(([p]) => p)]) await p.context().close();
});

test('contrast of every option and button, and a visible focus ring on each', async () => {
  const problems = [];
  const { host, code } = await hostRoom(problems, { pack: 'test', count: 1 });
  const p = await join(code, 'Ada', problems);
  await host.click('#start-btn');
  await p.waitForSelector('button.opt0');
  await host.waitForSelector('.question.host');
  const sels = ['.opt .otext', '.opt .letter', '.btn', '.qnum', '.status', '.countdown', '.muted'];
  const report = [...await host.evaluate(contrastReport, sels), ...await p.evaluate(contrastReport, sels)];
  assert.ok(report.filter((r) => r.sel === '.opt .otext').length >= 6, 'options measured');
  for (const r of report) assert.ok(r.ratio >= 4.5, `contrast ${r.ratio}:1 for ${r.sel} "${r.text}"`);
  // The host's player list during the game, with online state.
  await host.click('#players-btn');
  await host.waitForSelector('dialog#players-dlg[open]');
  assert.match(await host.textContent('#players-dlg'), /Ada[\s\S]*online/);
  await axe(host, 'player list dialog');
  await host.click('#players-dlg-close');
  await host.waitForSelector('dialog#players-dlg', { state: 'detached' });
  const rings = [...await focusRings(p, ['button.opt']), ...await focusRings(host, ['.stage .btn'])];
  assert.ok(rings.length >= 6);
  for (const r of rings) {
    assert.ok(r.visible && r.style === 'solid' && r.width >= 3 && r.best >= 3, `focus ring ${JSON.stringify(r)}`);
  }
  // The reveal keeps AA contrast on the right option and the dark ones.
  await p.click('button.opt0');
  await host.waitForSelector('.revealed');
  const rv = await host.evaluate(contrastReport, ['#reveal-opts .otext', '#reveal-opts .bar-n', '#reveal-opts .badge', '.why p']);
  for (const r of rv) assert.ok(r.ratio >= 4.5, `reveal contrast ${r.ratio}:1 for ${r.sel} "${r.text}"`);
  // "End game" asks in the page, not with a browser popup; Cancel keeps playing.
  await host.click('#end-btn');
  await host.waitForSelector('dialog#confirm[open]');
  await axe(host, 'end-game confirmation');
  await host.click('#confirm-no');
  await host.waitForSelector('dialog#confirm', { state: 'detached' });
  assert.ok(await host.$('.revealed'));
  assert.deepEqual(problems, []);
  for (const x of [host, p]) await x.context().close();
});

test('leaderboard movement, podium order, places, late joiner, keys, review and report', async () => {
  const problems = [];
  const { host, code } = await hostRoom(problems, { pack: 'test', count: 3, seconds: '30' });
  const rtl = 'שרה כהן';
  const a = await join(code, 'Ada', problems);
  const b = await join(code, 'Bob', problems);
  const c = await join(code, 'Cy', problems, PHONE, { reducedMotion: 'reduce' });
  const d = await join(code, rtl, problems, PHONE_SMALL);
  await host.waitForFunction(() => document.querySelectorAll('#players .pchip').length === 4);
  // The RTL name is isolated and shown whole.
  assert.equal(await host.$eval('#players .pchip:nth-child(4) .pname bdi', (e) => e.textContent), rtl);
  await host.keyboard.press('PageDown');     // a presenter clicker starts the game
  const right = async (p) => (await p.$$eval('.opts .otext', (els) => els.map((e) => e.textContent))).indexOf('right');
  const wrong = async (p) => ((await right(p)) + 1) % 3;
  let late;
  let prevRows = [];
  for (let q = 0; q < 3; q++) {
    for (const p of [a, b, c, d]) await p.waitForSelector(`.question.player .qnum:text("${qnum(q)}")`);
    if (q === 0) {
      // A player who joins during a question is told when they will play.
      late = await newPage(browser, PHONE, problems);
      await late.goto(`${server.url}/?room=${code}`);
      await late.fill('#join-name', 'Late');
      await late.click('#join-btn');
      await late.waitForSelector('#late-note');
      assert.match(await late.textContent('#late-note'), /next one, question 2/);
      await shot(late, 'phone-late-joiner-waiting');
      await axe(late, 'late joiner waiting');
    }
    // q1: only Ada is right; q2 and q3: Bob then Cy are right, Ada wrong.
    const order = q === 0 ? [[a, true], [b, false], [c, false]] : [[b, true], [c, true], [a, false]];
    for (const [p, ok] of order) {
      await p.click(`button.opt${ok ? await right(p) : await wrong(p)}`);
      await p.waitForSelector('#answer-status.ok, #verdict');
    }
    // Sara (RTL) never answers: the host closes the question with the keyboard.
    await host.waitForSelector(`.question.host .qnum:text("${qnum(q)}")`);
    await host.keyboard.press('ArrowRight');
    await host.waitForSelector('.question.host.revealed');
    if (q === 0) {
      // Answered of those who could answer: Sara could and did not, Late could not.
      assert.equal(await host.textContent('.sfoot .answered'), '3 of 4 answered');
      await late.waitForSelector('#verdict-late');
      assert.ok(await late.evaluate(() => document.documentElement.scrollWidth <= innerWidth), 'late joiner reveal fits sideways');
      await shot(late, 'phone-late-joiner-reveal');
      await axe(late, 'late joiner reveal');
    }
    // The reveal already names the player just ahead (result.ahead).
    for (const p of [a, b, c]) {
      await p.waitForSelector('#verdict #gap');
      assert.match(await p.textContent('#verdict #gap'), /^(You are in the lead!|[\d,]+ points behind (Ada|Bob|Cy|שרה כהן)|Level on points with (Ada|Bob|Cy|שרה כהן).*)$/);
    }
    await host.keyboard.press(' ');
    await host.waitForSelector(`#leaderboard`);
    await c.waitForSelector('#leaderboard');
    const rows = await host.$$eval('#leaderboard .lb-row', (els) => els.map((e) => ({
      name: e.querySelector('.pname').textContent, rank: Number(e.querySelector('.rank').textContent.replace(/\D/g, '')),
      move: e.querySelector('.move').textContent, gain: e.querySelector('.gain').textContent,
      score: Number(e.querySelector('.score').textContent.replace(/\D/g, '')),
    })));
    if (q === 1) {
      // Arrows and gains against the previous leaderboard: Ada (right only
      // on q1) gained nothing, Bob and Cy gained and passed or joined her.
      for (const r of rows) {
        const before = prevRows.find((x) => x.name === r.name);
        const d = before.rank - r.rank;
        assert.equal(r.move.replace(/\s+/g, ' ').match(/^(▲ \d+|▼ \d+|–)/)[1], d > 0 ? `▲ ${d}` : d < 0 ? `▼ ${-d}` : '–', JSON.stringify(r));
        assert.equal(r.gain, r.score > before.score ? `+${(r.score - before.score).toLocaleString('en-US')}` : '', JSON.stringify(r));
      }
      assert.ok(rows.find((r) => r.name === 'Bob').gain.startsWith('+'));
      // Reduced motion: the same arrows, and nothing animates.
      assert.match(await c.textContent('#leaderboard'), /▲|▼|–/);
      assert.equal(await c.evaluate(() => document.getAnimations().length), 0);
      // "N points behind <name>" (or in the lead).
      assert.match(await c.textContent('#gap'), /(points behind|Level on points with) (Ada|Bob)|lead/);
      await host.evaluate(() => document.getAnimations().forEach((x) => x.finish()));
      await shot(host, 'projector-leaderboard-movement');
      // The movement comes from the server: a reloaded projector shows the same.
      const moves = await host.$$eval('#leaderboard .lb-row', (els) => els.map((e) => `${e.querySelector('.pname').textContent} ${e.querySelector('.move').textContent} ${e.querySelector('.gain').textContent}`));
      await host.reload();
      await host.waitForSelector('#leaderboard .lb-row');
      assert.deepEqual(await host.$$eval('#leaderboard .lb-row', (els) => els.map((e) => `${e.querySelector('.pname').textContent} ${e.querySelector('.move').textContent} ${e.querySelector('.gain').textContent}`)), moves);
      await shot(c, 'phone-leaderboard-reduced-motion');
    }
    prevRows = rows;
    if (q === 2) {
      const streaks = await host.$$eval('#leaderboard .lb-row', (els) => els.filter((e) => e.querySelector('.streak')).map((e) => e.querySelector('.pname').textContent).sort());
      assert.deepEqual(streaks, ['Bob', 'Cy']);
    }
    await host.keyboard.press('PageDown');
  }
  await host.waitForSelector('#podium .step');
  const steps = await host.$$eval('#podium .step', (els) => els.map((e) => ({ name: e.querySelector('.pname').textContent, rank: Number(e.dataset.rank), x: e.getBoundingClientRect().left })));
  // Rank order for screen readers, 2–1–3 on screen, nobody with 0 points.
  assert.deepEqual(steps.map((s) => s.rank), [1, 2, 3]);
  assert.ok(steps[1].x < steps[0].x && steps[0].x < steps[2].x, 'laid out 2nd, 1st, 3rd');
  assert.equal(steps[2].name, 'Ada');
  assert.ok(!steps.some((s) => s.name === rtl || s.name === 'Late'));
  // Built up 3rd → 2nd → 1st.
  const delays = await host.$$eval('#podium .step', (els) => els.map((e) => parseFloat(getComputedStyle(e).animationDelay)));
  assert.ok(delays[2] < delays[1] && delays[1] < delays[0], `delays ${delays}`);
  // Places 4+ are numbered once.
  const rest = await host.$$eval('#rest li', (els) => els.map((e) => e.textContent));
  assert.equal(await host.$eval('#rest', (e) => getComputedStyle(e).listStyleType), 'none');
  assert.ok(rest.length >= 1 && rest.every((t) => /^\d+\D/.test(t) && !/^\d+\.\s*\d+/.test(t)), JSON.stringify(rest));
  await host.evaluate(() => document.getAnimations().forEach((x) => x.finish()));
  await shot(host, 'projector-podium');
  // The podium, the other places and the host's buttons fit every projector.
  for (const vp of PROJECTORS) {
    await resize(host, vp);
    const boxes = await host.$$eval('#podium .step, #rest li, #again-btn, #report-link', (els) => els.map((e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; }));
    boxes.forEach((b) => inside(b, vp, `podium at ${vp.width}×${vp.height}`));
    await shot(host, `projector-podium-${vp.width}x${vp.height}`);
  }
  await resize(host, PROJECTOR);
  // Every phone says its own place; the winner's says so.
  const winner = steps[0].name;
  for (const [p, name] of [[a, 'Ada'], [b, 'Bob'], [c, 'Cy'], [d, rtl]]) {
    await p.waitForSelector('#finish');
    const text = await p.textContent('#finish');
    if (name === winner) assert.match(text, /You won/);
    else assert.match(text, /You finished (2nd|3rd|4th|5th) of 5/);
  }
  assert.equal(await c.evaluate(() => document.getAnimations().length), 0);
  // The review: numbered by question, every option, source title, download.
  const missed = await a.$$eval('#review .missed > li', (els) => els.map((e) => ({
    num: e.querySelector('.mnum').textContent, opts: e.querySelectorAll('.ropts li').length, text: e.textContent,
  })));
  assert.deepEqual(missed.map((m) => m.num.match(/Question (\d+)/)[1]), ['2', '3']);
  assert.ok(missed.every((m) => m.opts >= 3 && /right answer/.test(m.text) && /your answer/.test(m.text)));
  // Between them Ada and Bob missed every question; t1's source has a title.
  const bobMissed = await b.$$eval('#review .missed > li', (els) => els.map((e) => e.textContent));
  assert.ok([...bobMissed, ...missed.map((m) => m.text)].some((t) => /Source: Alpha #1 — T1/.test(t)), 'source title shown');
  const [dl] = await Promise.all([a.waitForEvent('download'), a.click('#review-download')]);
  const md = readFileSync(await dl.path(), 'utf8');
  assert.match(md, /## Question 2/);
  assert.match(md, /\(right answer\)/);
  for (const p of [a, d]) await p.evaluate(() => document.getAnimations().forEach((x) => x.finish()));
  await shot(a, 'phone-final-review');
  // A reloaded phone gets its place and its review again from the server.
  const finishText = await a.textContent('#finish');
  await a.reload();
  await a.waitForSelector('#review .missed > li');
  assert.equal(await a.textContent('#finish'), finishText);
  assert.deepEqual(await a.$$eval('#review .missed > li', (els) => els.map((e) => e.textContent)), missed.map((m) => m.text));
  assert.match(await a.textContent('#top-info'), /Ada · room/);
  await shot(d, 'phone320-final');
  // The host's report: hardest first, the most chosen wrong answer, CSV.
  const qrows = await host.$$eval('#report-questions tbody tr', (els) => els.map((e) => [...e.children].map((td) => td.textContent)));
  assert.equal(qrows.length, 3);
  const shares = qrows.map((r) => Number(r[2].match(/^(\d+)/)[1]));
  assert.deepEqual(shares, [...shares].sort((x, y) => x - y));
  const [csv] = await Promise.all([host.waitForEvent('download'), host.click('#csv-players')]);
  const lines = readFileSync(await csv.path(), 'utf8').trim().split(/\r\n/);
  assert.equal(lines[0], 'rank,name,score,correct,streak,best_streak');
  assert.equal(lines.length, 6);
  assert.ok(lines.some((l) => /^\d+,Bob,\d+,2,2,2$/.test(l)), lines.join(' | '));
  // A reloaded host gets the report again from the server.
  await host.reload();
  await host.waitForSelector('#report-questions tbody tr');
  assert.equal((await host.$$eval('#report-questions tbody tr', (els) => els.length)), 3);
  // Play again: same room, same players, another pack and one of its
  // categories; scores from 0, everyone still connected.
  const category = showPack.questions[0].category;
  const chosen = showPack.questions.filter((q) => q.category === category);
  await host.click('#again-btn');
  await host.waitForSelector('#setup-form');
  await axe(host, 'play again form');
  await host.selectOption('#pack', 'show');
  await host.check(`#setup-form input[name=cat][value="${category}"]`);
  await host.fill('#count', '50');
  await host.click('#create-btn');
  await host.waitForSelector('#host-lobby');
  await host.waitForFunction(() => document.querySelectorAll('#players .pchip').length === 5);
  assert.equal(await host.$$eval('#players .pchip.offline', (els) => els.length), 0, 'everyone is still connected');
  assert.equal(await host.textContent('#stage-room b'), code);
  assert.ok((await host.textContent('.sbar')).includes(`${chosen.length} question${chosen.length === 1 ? '' : 's'} · `));
  for (const p of [a, b, c, d, late]) await p.waitForSelector('.waiting h1');
  await shot(host, 'projector-play-again-lobby');
  await host.keyboard.press('PageDown');
  for (let q = 0; q < chosen.length; q++) {
    await a.waitForSelector(`.question.player .qnum:text("${qnum(q)}")`);
    if (q === 0) await late.waitForSelector('.question.player button.opt0');   /* the late joiner plays from the start */
    await host.waitForSelector(`.question.host .qnum:text("${qnum(q)}")`);
    if (q === 0) assert.equal(await host.textContent('#answered'), '0 of 5 answered');
    assert.equal(await host.textContent('.qnum'), `Question ${q + 1} of ${chosen.length}`);
    // From the chosen pack and category only.
    assert.equal(await host.textContent('.stage .qcat'), category);
    const prompt = await host.textContent('.stage .prompt');
    assert.ok(chosen.some((x) => x.prompt === prompt), `"${prompt}" is not from ${category} of the show pack`);
    const correct = chosen.find((x) => x.prompt === prompt);
    await a.click(`button.opt${(await a.$$eval('.opts .otext', (els) => els.map((e) => e.textContent))).indexOf(correct.options[correct.correct])}`);
    await a.waitForSelector('#answer-status.ok');
    await host.keyboard.press('ArrowRight');
    await host.waitForSelector('.question.host.revealed');
    await host.keyboard.press('ArrowRight');
    await host.waitForSelector('#leaderboard');
    if (q === 0) {
      // Scores start from 0: each is what this question gained.
      const rows = await host.$$eval('#leaderboard .lb-row', (els) => els.map((e) => ({
        name: e.querySelector('.pname').textContent, gain: Number(e.querySelector('.gain').textContent.replace(/\D/g, '') || 0),
        score: Number(e.querySelector('.score').textContent.replace(/\D/g, '')),
      })));
      assert.equal(rows.length, 5);
      for (const r of rows) assert.equal(r.score, r.gain, JSON.stringify(r));
      assert.ok(rows.find((r) => r.name === 'Ada').score > 0, JSON.stringify(rows));
      await shot(host, 'projector-play-again-leaderboard');
    }
    await host.keyboard.press('ArrowRight');
  }
  await host.waitForSelector('#podium .step');
  assert.equal(await host.textContent('.sbar .qnum'), `${chosen.length} question${chosen.length === 1 ? '' : 's'} · 5 players`);
  await a.waitForSelector('#finish:text("You won")');
  assert.deepEqual(problems, []);
  for (const p of [host, a, b, c, d, late]) await p.context().close();
});

test('a lobby of 100 fills the projector, removal is the host\'s, locking hides the code', async () => {
  const problems = [];
  const { host, code } = await hostRoom(problems, { pack: 'test', count: 1 });
  // 100 players from one page's WebSockets (the real join message).
  const crowd = await newPage(browser, PHONE, problems);
  await crowd.goto(server.url + '/');
  await crowd.evaluate(async ([c, n]) => {
    window.sockets = [];
    const names = Array.from({ length: n }, (_, i) => (i % 10 === 3 ? `لاعب ${i}` : i % 10 === 7 ? `Very long nickname ${i}`.slice(0, 24) : `Player ${i}`));
    for (const name of names) {
      const ws = new WebSocket(`ws://${location.host}/ws`);
      await new Promise((r) => ws.addEventListener('open', r));
      const joined = new Promise((r) => ws.addEventListener('message', (ev) => { if (JSON.parse(ev.data).type === 'joined') r(); }));
      ws.send(JSON.stringify({ type: 'join', code: c, name, req: 1 }));
      await joined;
      window.sockets.push(ws);
    }
  }, [code, 100]);
  await host.waitForFunction(() => document.querySelectorAll('#players .pchip').length === 100);
  assert.equal(await host.textContent('#player-count'), '100');
  for (const vp of PROJECTORS) {
    await resize(host, vp);
    const tiles = await host.$$eval('#players .pchip', (els) => els.map((e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, fs: parseFloat(getComputedStyle(e).fontSize) }; }));
    const list = await host.$eval('#players', (e) => { const r = e.getBoundingClientRect(); return { width: r.right, height: r.bottom, top: r.top, left: r.left }; });
    for (const t of tiles) {
      inside(t, vp, `lobby tile at ${vp.width}×${vp.height}`);
      // Not hidden by the list's own clipping either.
      assert.ok(t.top >= list.top - 1 && t.left >= list.left - 1 && t.bottom <= list.height + 1 && t.right <= list.width + 1, `tile clipped at ${vp.width}×${vp.height}: ${JSON.stringify(t)} in ${JSON.stringify(list)}`);
    }
    // The join panel still shows the whole code and QR beside the tiles.
    for (const sel of ['#room-code', '#qr', '#start-btn']) {
      inside(await host.$eval(sel, (e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; }), vp, `${sel} beside 100 players`);
    }
    assert.ok(await host.$eval('#room-code', (e) => e.getBoundingClientRect().right <= e.parentNode.getBoundingClientRect().right + 1 && e.getBoundingClientRect().left >= e.parentNode.getBoundingClientRect().left - 1), 'room code inside its panel');
    // Readable: at least 1.7 % of the viewport height.
    assert.ok(Math.min(...tiles.map((t) => t.fs)) >= 0.017 * vp.height - 0.5);
    // No Remove button shown to the room.
    assert.equal(await host.$$eval('#players button', (els) => els.filter((e) => e.getClientRects().length).length), 0);
    await shot(host, `projector-lobby100-${vp.width}x${vp.height}`);
  }
  await resize(host, PROJECTOR);
  // The host's own control shows the Remove buttons; removal asks in the page.
  await host.click('#manage-btn');
  assert.equal(await host.$$eval('#players button', (els) => els.filter((e) => e.getClientRects().length).length), 100);
  await axe(host, 'lobby, managing players');
  await host.click('#players .pchip:first-child button');
  await host.waitForSelector('dialog#confirm[open]');
  await axe(host, 'removal confirmation');
  await host.click('#confirm-yes');
  await host.waitForFunction(() => document.querySelectorAll('#players .pchip').length === 99);
  // A removed player who tries the name again is told why.
  const kicked = await join(code, 'Kick Me', problems);
  await host.waitForFunction(() => [...document.querySelectorAll('#players .pname')].some((e) => e.textContent === 'Kick Me'));
  await host.click('#players button[aria-label="Remove Kick Me"]');
  await host.click('#confirm-yes');
  await kicked.waitForSelector('h1:text("You were removed")');
  await axe(kicked, 'removed player');
  await kicked.goto(`${server.url}/?room=${code}`);
  await kicked.fill('#join-name', 'Kick Me');
  await kicked.click('#join-btn');
  await kicked.waitForSelector('#join-error:text("removed you")');
  await axe(kicked, 'join form with an error');
  await kicked.context().close();
  await host.click('#manage-btn');
  // Locked: the code and QR stop inviting people in.
  await host.click('#lock-btn');
  await host.waitForSelector('#lobby-join.locked');
  assert.equal(await host.$eval('#qr', (e) => e.getClientRects().length), 0);
  assert.equal(await host.$eval('#room-code', (e) => e.getClientRects().length), 0);
  assert.equal(await host.$eval('#lock-note', (e) => getComputedStyle(e).display), 'block');
  await shot(host, 'projector-lobby-locked');
  await axe(host, 'projector lobby, 99 players, locked');
  assert.deepEqual(problems, []);
  for (const p of [host, crowd]) await p.context().close();
});

test('auto-advance counts down on the projector; a reloaded host keeps the room code', async () => {
  const problems = [];
  const host = await newPage(browser, { width: 1280, height: 720 }, problems);
  await host.goto(server.url + '/');
  await host.waitForSelector('#join-form');
  await axe(host, 'start page');
  await host.click('#host-btn');
  await host.waitForSelector('#setup-form');
  await axe(host, 'host setup');
  await host.selectOption('#pack', 'test');
  await host.fill('#count', '1');
  await host.check('#auto');
  await host.click('#create-btn');
  const code = (await host.textContent('#room-code')).trim();
  const p = await join(code, 'Ada', problems);
  await host.click('#start-btn');
  await host.waitForSelector('.question.host');
  await host.reload();
  await host.waitForSelector('.question.host');
  assert.equal(await host.textContent('#stage-room b'), code);
  await p.click('button.opt0');
  await host.waitForSelector('#auto-next:text("Leaderboard in")');
  const first = Number((await host.textContent('#auto-next')).match(/(\d+) s/)[1]);
  assert.ok(first >= 6 && first <= 8, `starts near 8 s: ${first}`);
  await host.waitForFunction((f) => Number(document.querySelector('#auto-next').textContent.match(/(\d+) s/)[1]) < f, first);
  // Nobody presses anything: the leaderboard, then the podium, arrive.
  await host.waitForSelector('#auto-next:text("Podium in")', { timeout: 15000 });
  await host.waitForSelector('#podium', { timeout: 15000 });
  // The report arrives right after the podium.
  await host.waitForSelector('#report-questions tbody tr');
  await axe(host, 'podium with the report');
  // The same seat opened in another tab: the first tab says so.
  const tab2 = await p.context().newPage();
  await tab2.goto(`${server.url}/?room=${code}`);
  await tab2.waitForSelector('#finish');
  await p.waitForSelector('h1:text("Opened somewhere else")');
  await axe(p, 'seat taken elsewhere');
  assert.deepEqual(problems, []);
  for (const x of [host, p]) await x.context().close();
});
