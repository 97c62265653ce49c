// The web client in headless Chromium against the real quizd: a host on a
// projector-sized page and three phone players play a whole game; reload
// mid-question keeps score and answer; error messages; XSS-safe nicknames;
// no console errors and no 404s. Screenshots land in build/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startQuizd, launch, newPage, shot, PROJECTOR, PHONE, T } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startQuizd();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  const code = await server?.stop();
  assert.equal(code, 0, `quizd exited with ${code}:\n${server?.stderr()}`);
});

async function hostRoom(problems, { count = 3, seconds = '30' } = {}) {
  const host = await newPage(browser, PROJECTOR, problems);
  await host.goto(server.url + '/');
  await host.click('#host-btn');
  await host.selectOption('#pack', 'test');
  await host.fill('#count', String(count));
  await host.selectOption('#seconds', seconds);
  await host.click('#create-btn');
  const code = (await host.textContent('#room-code')).trim();
  assert.match(code, /^[2-9A-HJKMNP-Z]{6}$/);
  return { host, code };
}

async function joinByUrl(code, name, problems) {
  const p = await newPage(browser, PHONE, problems);
  await p.goto(`${server.url}/?room=${code}`);
  assert.equal(await p.inputValue('#join-code'), code);
  await p.fill('#join-name', name);
  await p.click('#join-btn');
  await p.waitForSelector('.waiting h1');
  return p;
}

// Index of the option whose text is exactly "right" (the test pack's key).
async function rightIndex(page) {
  const texts = await page.$$eval('.opts .otext', (els) => els.map((e) => e.textContent));
  const i = texts.indexOf('right');
  assert.ok(i >= 0, `no "right" option among ${texts}`);
  return { right: i, wrong: (i + 1) % texts.length };
}

// The acknowledgement shows "received"; for the last player to answer the
// question closes at once, so the verdict may replace it immediately.
async function answer(page, i) {
  await page.click(`button.opt${i}`);
  await page.waitForSelector('#answer-status.ok, #verdict');
}

test('a host and three players play a whole game to the podium', async () => {
  const problems = [];
  const { host, code } = await hostRoom(problems);
  await shot(host, 'projector-lobby-empty');
  const ada = await joinByUrl(code, 'Ada', problems);
  const bob = await joinByUrl(code, 'Bob', problems);
  const cy = await joinByUrl(code, 'Cy', problems);
  await host.waitForFunction(() => document.querySelectorAll('#players .pchip').length === 3);
  assert.equal(await host.textContent('#player-count'), '3');
  assert.ok(await host.$('#qr[src^="/api/qr.svg?text="]'));
  await shot(host, 'projector-lobby');
  await shot(ada, 'phone-lobby');

  await host.click('#start-btn');
  const scores = { Ada: 0, Bob: 0, Cy: 0 };
  for (let q = 0; q < 3; q++) {
    await host.waitForSelector(`.question.host .qnum:text("Question ${q + 1} of 3")`);
    for (const p of [ada, bob, cy]) await p.waitForSelector(`.question.player .qnum:text("Question ${q + 1} of 3")`);
    if (q === 0) {
      await shot(host, 'projector-question');
      await shot(ada, 'phone-question');
    }
    const { right, wrong } = await rightIndex(ada);
    await answer(ada, right);                       // Ada: always right
    if (q === 0) await shot(ada, 'phone-answered');
    await answer(bob, wrong);                       // Bob: always wrong
    // Cy answers with the keyboard: right only on the last question.
    await cy.keyboard.press(String((q === 2 ? right : wrong) + 1));
    await cy.waitForSelector('#answer-status.ok, #verdict');
    // Everyone answered: the question closes early and the reveal shows.
    await host.waitForSelector('.question.host.revealed .opt.correct');
    assert.equal(await host.$eval('.opt.correct .otext', (e) => e.textContent), 'right');
    for (const [name, p] of [['Ada', ada], ['Bob', bob], ['Cy', cy]]) {
      await p.waitForSelector('#verdict');
      const verdict = await p.textContent('#verdict h1');
      const ok = name === 'Ada' || (name === 'Cy' && q === 2);
      assert.equal(verdict, ok ? 'Correct!' : 'Not this time', `${name} q${q}`);
      const pts = Number((await p.textContent('#verdict .points')).replace(/\D/g, ''));
      scores[name] += pts;
    }
    if (q === 0) {
      await shot(host, 'projector-reveal');
      await shot(ada, 'phone-result');
    }
    await host.click('#next-btn');
    await host.waitForSelector('#leaderboard');
    await ada.waitForSelector('#leaderboard');
    const names = await host.$$eval('#leaderboard .pname', (els) => els.map((e) => e.textContent));
    assert.equal(names[0], 'Ada');
    if (q === 0) {
      await shot(host, 'projector-leaderboard');
      await shot(ada, 'phone-leaderboard');
    }
    await host.click('#next-btn');
  }
  await host.waitForSelector('#podium');
  // The podium lists places in rank order; Bob scored nothing, so he is
  // listed below it, not on it.
  const order = await host.$$eval('#podium .step .pname', (els) => els.map((e) => e.textContent));
  assert.deepEqual(order, ['Ada', 'Cy']);
  const podiumScores = await host.$$eval('#podium .step .score', (els) => els.map((e) => Number(e.textContent.replace(/\D/g, ''))));
  assert.deepEqual(podiumScores, [scores.Ada, scores.Cy]);
  assert.ok(scores.Ada > scores.Cy && scores.Cy > scores.Bob && scores.Bob === 0);
  assert.match(await host.textContent('#rest'), /Bob/);
  await shot(host, 'projector-podium');
  // Each player gets a review of missed questions with explanations.
  await bob.waitForSelector('#review');
  assert.equal(await bob.$$eval('#review .missed > li', (els) => els.length), 3);
  assert.ok((await bob.textContent('#review .expl')).length > 0);
  await ada.waitForSelector('#review');
  assert.equal(await ada.$$eval('#review .missed > li', (els) => els.length), 0);
  await bob.evaluate(() => document.getAnimations().forEach((a) => a.finish()));   // the podium built up
  await shot(bob, 'phone-podium-review');
  assert.deepEqual(problems, []);
  for (const p of [host, ada, bob, cy]) await p.context().close();
});

test('a player who reloads mid-question keeps score and answer', async () => {
  const problems = [];
  const { host, code } = await hostRoom(problems, { count: 2, seconds: '60' });
  const ada = await joinByUrl(code, 'Ada', problems);
  const bob = await joinByUrl(code, 'Bob', problems);
  await host.waitForFunction(() => document.querySelectorAll('#players .pchip').length === 2);
  await host.click('#start-btn');
  await ada.waitForSelector('.question.player');
  await bob.waitForSelector('.question.player');
  let { right } = await rightIndex(ada);
  await answer(ada, right);
  await answer(bob, right);
  await ada.waitForSelector('#verdict');
  const before = await ada.textContent('#verdict');
  const scoreBefore = Number(before.match(/Score ([\d,]+)/)[1].replace(/,/g, ''));
  assert.ok(scoreBefore >= 900);
  await host.click('#next-btn');   // leaderboard
  await host.waitForSelector('#leaderboard');
  await host.click('#next-btn');   // question 2
  await ada.waitForSelector('.qnum:text("Question 2 of 2")');
  ({ right } = await rightIndex(ada));
  await answer(ada, right);
  // Reload: the stored token rejoins and the answered state comes back.
  await ada.reload();
  await ada.waitForSelector('#answer-status.ok');
  assert.match(await ada.textContent('#answer-status'), /received/);
  assert.equal(await ada.$$eval('button.opt[aria-pressed="true"]', (els) => els.length), 1);
  // The host sees Ada come back (never more than 2 players).
  assert.equal(await host.$$eval('.question.host', (els) => els.length), 1);
  await answer(bob, right);
  await ada.waitForSelector('#verdict');
  const after = Number((await ada.textContent('#verdict')).match(/Score ([\d,]+)/)[1].replace(/,/g, ''));
  assert.ok(after > scoreBefore, `score went from ${scoreBefore} to ${after}`);
  assert.deepEqual(problems, []);
  for (const p of [host, ada, bob]) await p.context().close();
});

test('every socket for a room names it in the URL (a proxy routes by it)', async () => {
  const problems = [];
  const sockets = (page) => {
    const q = [];
    page.on('websocket', (w) => q.push(new URL(w.url()).search));
    return q;
  };
  const host = await newPage(browser, PROJECTOR, problems);
  const hostWs = sockets(host);
  await host.goto(server.url + '/');
  await host.click('#host-btn');
  await host.selectOption('#pack', 'test');
  await host.click('#create-btn');
  const code = (await host.textContent('#room-code')).trim();
  assert.deepEqual(hostWs, ['']);             // creating a room needs no code: any shard
  await host.reload();                        // host_resume
  await host.waitForSelector('#room-code');
  assert.deepEqual(hostWs, ['', `?room=${code}`]);
  // A player who types the code on the start page, then reloads.
  const p = await newPage(browser, PHONE, problems);
  const playerWs = sockets(p);
  await p.goto(server.url + '/');
  await p.fill('#join-code', code);
  await p.fill('#join-name', 'Ada');
  await p.click('#join-btn');
  await p.waitForSelector('.waiting h1');
  await p.reload();
  await p.waitForSelector('.waiting h1');
  const forRoom = playerWs.filter((u) => u !== '');
  assert.deepEqual(forRoom, [`?room=${code}`, `?room=${code}`], `player sockets: ${playerWs}`);
  assert.deepEqual(problems, []);
  for (const x of [host, p]) await x.context().close();
});

test('wrong room code and taken name show clear messages', async () => {
  const problems = [];
  const { host, code } = await hostRoom(problems);
  const p = await newPage(browser, PHONE, problems);
  await p.goto(server.url + '/');
  await p.fill('#join-code', 'ZZZZZZ');
  await p.fill('#join-name', 'Ada');
  await p.click('#join-btn');
  await p.waitForSelector('#join-error:text("No game with that code")');
  await p.fill('#join-code', 'AB');
  await p.click('#join-btn');
  await p.waitForSelector('#join-error:text("Room codes have 6 letters")');
  const ada = await joinByUrl(code, 'Ada', problems);
  await p.fill('#join-code', code.toLowerCase());
  await p.fill('#join-name', 'ada');
  await p.click('#join-btn');
  await p.waitForSelector('#join-error:text("already uses that name")');
  // The host locks the room: a new player is told so.
  await host.click('#lock-btn');
  await host.waitForSelector('#lock-state:text("locked")');
  await p.fill('#join-name', 'Zed');
  await p.click('#join-btn');
  await p.waitForSelector('#join-error:text("locked this game")');
  assert.deepEqual(problems, []);
  for (const x of [host, ada, p]) await x.context().close();
});

test('a nickname with markup is shown as text and runs nothing', async () => {
  const problems = [];
  const { host, code } = await hostRoom(problems);
  const evil = '<iframe onload=alert(1)>';
  const p = await joinByUrl(code, evil, problems);
  await host.waitForFunction(() => document.querySelectorAll('#players .pchip').length === 1);
  assert.equal(await host.textContent('#players .pname'), evil);
  assert.equal(await host.$$eval('iframe', (els) => els.length), 0);
  assert.equal(await p.textContent('.waiting h1'), `You're in, ${evil}!`);
  assert.equal(await p.$$eval('iframe', (els) => els.length), 0);
  // The server's CSP forbids inline script: injected inline handlers cannot run.
  const csp = await host.evaluate(async () => (await fetch('/')).headers.get('content-security-policy'));
  assert.match(csp, /script-src 'self'/);
  assert.ok(!/unsafe-inline/.test(csp));
  assert.deepEqual(problems, []);
  for (const x of [host, p]) await x.context().close();
});

// A notice (PROTOCOL.md: `notice`, e.g. results_not_saved when the server's
// disk fails) stays on screen as a banner the room can read. The frame is
// injected into the page's real WebSocket to the real server: filling a disk
// is the integration tests' job (test_persist.disk_full_tells_host).
test('a results_not_saved notice stays on the host screen', async () => {
  const problems = [];
  const host = await newPage(browser, PROJECTOR, problems);
  let socket;
  await host.routeWebSocket(/\/ws/, (ws) => {
    ws.connectToServer();
    socket = ws;
  });
  await host.goto(server.url + '/');
  await host.click('#host-btn');
  await host.selectOption('#pack', 'test');
  await host.click('#create-btn');
  await host.waitForSelector('#room-code');
  assert.ok(await host.locator('#banner').isHidden());
  const message = 'The server can no longer save this game (test).';
  socket.send(JSON.stringify({ type: 'notice', notice: 'results_not_saved', message }));
  await host.waitForSelector('#banner:not([hidden])');
  assert.equal((await host.textContent('#banner')).trim(), message);
  assert.equal(await host.getAttribute('#banner', 'role'), 'status');
  // The game goes on under the banner: the host can still start it.
  assert.ok(await host.isVisible('#start-btn'));
  // It covers nothing of the stage: the room code stays in sight below it.
  const [bannerBottom, roomTop] = await host.evaluate(() => ['#banner', '#stage-room'].map((s) => document.querySelector(s).getBoundingClientRect()[s === '#banner' ? 'bottom' : 'top']));
  assert.ok(roomTop >= bannerBottom, `the banner (bottom ${bannerBottom}) covers the room code (top ${roomTop})`);
  await shot(host, 'projector-notice-not-saved');
  assert.deepEqual(problems, []);
  await host.close();
});

test('pages load with no console errors and no 404s, favicon included', async () => {
  const problems = [];
  const p = await newPage(browser, PHONE, problems);
  const seen = [];
  p.on('response', (r) => seen.push(r.url()));
  await p.goto(server.url + '/');
  await p.waitForSelector('#join-form');
  await p.evaluate(() => fetch('/favicon.svg'));
  assert.ok(seen.some((u) => u.endsWith('/favicon.svg')));
  assert.ok(seen.some((u) => u.endsWith('/app.js')) && seen.some((u) => u.endsWith('/proto.js')));
  await shot(p, 'phone-start');
  const desk = await newPage(browser, PROJECTOR, problems);
  await desk.goto(server.url + '/');
  await desk.click('#host-btn');
  await desk.waitForSelector('#setup-form');
  await shot(desk, 'projector-setup');
  assert.deepEqual(problems, []);
  await p.context().close();
  await desk.context().close();
  void T;
});
