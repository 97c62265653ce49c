// quizd web client: the host/projector screens and the phone player screens.
// All server text goes into the page with textContent (never innerHTML), so
// a nickname like <iframe onload=alert(1)> is shown, not run; every name is
// wrapped in <bdi> so right-to-left names render in order.
import {
  errorText, normalizeName, normalizeCode, isValidCode, clockOffset, remainingMs,
} from './proto.js';
import {
  LETTERS, ordinal, fmt, lbRows, podiumSplit, questionStats, questionsCsv, playersCsv, reviewMarkdown, sourceText,
} from './report.js';
import { fitStage, fitCode } from './fit.js';

const $app = document.getElementById('app');
const $live = document.getElementById('live');
const $banner = document.getElementById('banner');
const $topInfo = document.getElementById('top-info');

const SHAPES = ['▲', '◆', '●', '■'];
const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
const hasKeyboard = window.matchMedia('(hover: hover) and (pointer: fine)').matches;
// PROTOCOL.md: with auto_advance the reveal lasts 8 s and the leaderboard 5 s.
const AUTO_REVEAL_MS = 8000;
const AUTO_LEADERBOARD_MS = 5000;
const NEXT_KEYS = [' ', 'ArrowRight', 'PageDown'];
// Above this many players the lobby gives the name tiles more of the screen.
const CROWD = 30;

// ---------------------------------------------------------------- helpers

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

// A player name: isolated for bidi, one line with ellipsis, full name in the title.
function nameEl(name, cls = 'pname') {
  return el('span', { class: cls, title: name }, el('bdi', { text: name }));
}

// The phone's header: who and where, the name isolated for bidi.
function setTopInfo() {
  $topInfo.replaceChildren(el('bdi', { text: S.name || '' }), ` · room ${S.code}`);
}

function srOnly(text) {
  return el('span', { class: 'sr-only', text });
}

let screenKey = null;

// Replaces the screen. A new screen (a different key) opens at the top with
// the focus on its heading; re-rendering the same screen keeps the scroll.
function show(key, ...nodes) {
  stopCountdown();
  stopAutoNext();
  const changed = key !== screenKey;
  const hadFocus = $app.contains(document.activeElement);
  screenKey = key;
  document.body.classList.toggle('projector', key.startsWith('host-'));
  $app.replaceChildren(...nodes);
  if (changed || hadFocus) {
    if (changed) window.scrollTo(0, 0);
    const h = (!changed && $app.querySelector('[data-refocus]')) || $app.querySelector('h1, h2');
    if (h) {
      if (!h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1');
      h.focus({ preventScroll: true });
    }
  }
  fitAll();
}

function fitAll() {
  const stage = $app.querySelector('.stage');
  if (stage) fitStage(stage);
  for (const w of $app.querySelectorAll('.code-wrap')) if (!stage || !stage.contains(w)) fitCode(w);
}

let fitFrame = 0;
window.addEventListener('resize', () => {
  cancelAnimationFrame(fitFrame);
  fitFrame = requestAnimationFrame(fitAll);
});

function announce(text) {
  $live.textContent = '';
  // A new text node each time so screen readers repeat identical messages.
  setTimeout(() => { $live.textContent = text; }, 30);
}

// A banner moves the projector's stage down (style.css): refit it.
function banner(text, kind = 'warn') {
  if (!text) {
    if (!$banner.hidden) {
      $banner.hidden = true;
      fitAll();
    }
    return;
  }
  $banner.textContent = text;
  $banner.className = `banner ${kind}`;
  $banner.hidden = false;
  fitAll();
}

let toastTimer = 0;
function toast(text) {
  let t = document.getElementById('toast');
  if (!t) {
    t = el('div', { id: 'toast', class: 'toast', role: 'alert' });
    document.body.append(t);
  }
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 5000);
}

const store = {
  get(k) { try { return JSON.parse(localStorage.getItem(k)); } catch { return null; } },
  set(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch { /* private mode */ } },
  del(k) { try { localStorage.removeItem(k); } catch { /* ignore */ } },
};

function setUrl(params) {
  const u = new URL(location.href);
  u.search = new URLSearchParams(params).toString();
  history.replaceState(null, '', u);
}

// A file made in the browser from data it already has.
function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// In-page confirmation: a modal <dialog>, never a browser popup on the projector.
function confirmDialog(text, yesLabel, onYes) {
  const d = el('dialog', { class: 'modal', id: 'confirm', 'aria-labelledby': 'confirm-title' });
  const no = el('button', { class: 'btn', id: 'confirm-no', onclick: () => d.close() }, 'Cancel');
  d.append(el('h2', { id: 'confirm-title', text }),
    el('div', { class: 'row' },
      el('button', { class: 'btn danger', id: 'confirm-yes', onclick: () => { d.close(); onYes(); } }, yesLabel), no));
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
  no.focus();
}

// ---------------------------------------------------------------- state

const S = {
  role: null,          // 'host' | 'player'
  code: null,
  hostToken: null,
  token: null,
  playerId: null,
  name: null,
  phase: 'lobby',
  settings: null,
  total: 0,
  lobby: { players: [], count: 0, locked: false },
  question: null,
  canAnswer: true,     // false for a player who joined during the open question
  myAnswer: null,      // display index the server acknowledged
  pending: null,       // display index sent, not yet acknowledged
  answered: 0,
  reveal: null,
  result: null,
  leaderboard: null,
  lastRanks: new Map(),
  report: null,        // host: the server's end-of-game report
  answerable: null,    // players who may answer the open question (late joiners excluded)
  firstIndex: 0,       // player: the first question index it plays
  gameOver: null,
  review: null,
  phaseAt: 0,          // when the current reveal/leaderboard arrived (auto-advance countdown)
  nextBusy: false,
  manage: false,
  offset: 0,
  rtt: Infinity,
  info: null,
  wantConnection: false,
};

function roomKey(kind) {
  return `quizd:${kind}:${S.code}`;
}

// ---------------------------------------------------------------- connection

let ws = null;
let reqSeq = 0;
const pendingReq = new Map();
let retry = 0;
let retryTimer = 0;
let pingTimer = 0;
let pingSent = new Map();

// The room the open socket was opened for: its code is in the URL
// (/ws?room=CODE) so that a proxy in front of several quizd shards routes the
// connection to the process that holds the room (deploy/). Creating a room
// needs none: any shard will do.
let wsRoom = null;

function wsUrl(room) {
  const base = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  return room ? `${base}?room=${encodeURIComponent(room)}` : base;
}

// Opens the socket for `room` (default: the room this page is in, for a
// resume, else the one the last socket was for).
function connect(room = S.role && S.code ? S.code : wsRoom) {
  S.wantConnection = true;
  clearTimeout(retryTimer);
  if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) return;
  wsRoom = room || null;
  const sock = new WebSocket(wsUrl(wsRoom));
  ws = sock;
  sock.addEventListener('open', () => {
    if (sock !== ws) return;
    retry = 0;
    banner(null);
    ping();
    clearInterval(pingTimer);
    pingTimer = setInterval(ping, 10000);
    for (const fn of onOpen.splice(0)) fn();
    resume();
  });
  sock.addEventListener('message', (ev) => {
    if (sock !== ws) return;
    let m;
    try { m = JSON.parse(ev.data); } catch { return; }
    handle(m);
  });
  sock.addEventListener('close', (ev) => {
    if (sock !== ws) return;
    clearInterval(pingTimer);
    for (const [, p] of pendingReq) p.reject(new Error('disconnected'));
    pendingReq.clear();
    if (!S.wantConnection) return;
    const delay = Math.min(8000, 500 * 2 ** retry) * (0.75 + Math.random() * 0.5);
    retry++;
    banner(ev.code === 1001 ? 'The server is restarting. Reconnecting…' : 'Connection lost. Reconnecting…');
    retryTimer = setTimeout(connect, delay);
  });
}

// Leaves the open socket (it was for another room) and opens one for `room`.
function reconnectFor(room) {
  const old = ws;
  ws = null;
  clearInterval(pingTimer);
  for (const [, p] of pendingReq) p.reject(new Error('disconnected'));
  pendingReq.clear();
  if (old) old.close(1000);
  connect(room);
}

const onOpen = [];

// Resolves once a socket is open; with `room`, one opened for that room
// (undefined: any socket will do).
function whenOpen(room) {
  return new Promise((resolve) => {
    const fits = room === undefined || wsRoom === room;
    if (ws && ws.readyState === WebSocket.OPEN && fits) resolve();
    else {
      onOpen.push(resolve);
      if (ws && !fits) reconnectFor(room);
      else connect(room === undefined ? wsRoom : room);
    }
  });
}

function send(msg) {
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(msg));
  return true;
}

// Sends msg with a req id; resolves with the direct reply (rejects on error).
// A join or host_resume goes over a socket opened for that room.
async function request(msg) {
  await whenOpen(msg.type === 'join' || msg.type === 'host_resume' ? msg.code : undefined);
  const req = ++reqSeq;
  return new Promise((resolve, reject) => {
    pendingReq.set(req, { resolve, reject, type: msg.type });
    if (!send({ ...msg, req })) {
      pendingReq.delete(req);
      reject(new Error('disconnected'));
    }
  });
}

function ping() {
  const t = performance.now();
  const id = ++reqSeq;
  pingSent.set(id, { mono: t, wall: Date.now() });
  send({ type: 'ping', t, req: id });
}

// Re-attach after a reconnect (or a page reload) with the stored token.
function resume() {
  if (S.role === 'host' && S.hostToken) {
    request({ type: 'host_resume', code: S.code, host_token: S.hostToken }).catch(onResumeError);
  } else if (S.role === 'player' && S.token) {
    request({ type: 'join', code: S.code, token: S.token }).catch(onResumeError);
  }
}

function onResumeError(e) {
  if (!e.code) return;
  if (S.role === 'host') {
    store.del(`quizd:host:${S.code}`);
    S.role = null;
    S.wantConnection = false;
    renderStart(`Could not return to game ${S.code}: ${errorText(e)}`);
  } else {
    store.del(`quizd:player:${S.code}`);
    const code = S.code;
    S.role = null;
    S.token = null;
    renderJoin(code, e.code === 'bad_token' ? 'Your seat in this game is gone (the host removed it or the game ended). Join again with a name.' : errorText(e));
  }
}

// ---------------------------------------------------------------- messages

function handle(m) {
  if (m.req !== undefined && pendingReq.has(m.req)) {
    const p = pendingReq.get(m.req);
    pendingReq.delete(m.req);
    if (m.type === 'error') {
      const e = new Error(m.message);
      e.code = m.code;
      e.serverMessage = m.message;
      p.reject(e);
    } else {
      p.resolve(m);
    }
  }
  switch (m.type) {
    case 'pong': {
      const sent = pingSent.get(m.req);
      pingSent.delete(m.req);
      if (sent !== undefined) {
        // Round trip on the monotonic clock, offset against the wall clock.
        const rttMono = performance.now() - sent.mono;
        const { offset, rtt } = clockOffset(sent.wall, sent.wall + rttMono, m.now_ms);
        // Keep the estimate from the fastest round trip: least queueing noise.
        if (rtt <= S.rtt * 1.5) {
          S.rtt = Math.min(S.rtt, rtt);
          S.offset = offset;
        }
      }
      break;
    }
    case 'room_created':
      S.role = 'host';
      S.code = m.code;
      S.hostToken = m.host_token;
      S.settings = m.settings;
      S.total = m.settings.count;
      S.phase = 'lobby';
      S.report = null;
      store.set(`quizd:host:${m.code}`, m.host_token);
      setUrl({ host: m.code });
      renderHostLobby();
      break;
    case 'joined':
      S.role = 'player';
      S.code = m.code;
      S.token = m.token;
      S.playerId = m.player_id;
      S.name = m.name;
      S.firstIndex = m.first_index ?? 0;
      store.set(`quizd:player:${m.code}`, { token: m.token, name: m.name });
      store.del(`quizd:kicked:${m.code}`);
      setUrl({ room: m.code });
      break;
    case 'state':
      applyState(m);
      break;
    case 'lobby':
      S.lobby = m;
      if (S.phase === 'lobby') S.phase = m.phase || 'lobby';
      if (S.role === 'host' && S.phase === 'lobby') updateHostLobby();
      if (S.role === 'player' && S.phase === 'lobby') renderPlayerLobby();
      if (S.role === 'host') {
        updatePlayerStatus();
        updatePlayersDialog();
      }
      break;
    case 'question':
      S.phase = 'question';
      S.nextBusy = false;
      S.question = m;
      S.canAnswer = true;
      S.myAnswer = null;
      S.pending = null;
      S.answered = 0;
      S.answerable = null;
      S.reveal = null;
      S.result = null;
      if (S.role === 'host') renderHostQuestion();
      else renderPlayerQuestion();
      announce(questionAnnouncement(m));
      break;
    case 'answer_ack':
      if (S.question && m.index === S.question.index) {
        S.myAnswer = m.choice;
        S.pending = null;
        renderPlayerQuestion();
        announce(`Answer ${LETTERS[m.choice]} received.`);
      }
      break;
    case 'answers':
      S.answered = m.answered;
      S.answerable = m.answerable;
      updateAnsweredCount(m.answered, m.answerable);
      break;
    case 'reveal':
      S.phase = 'reveal';
      S.nextBusy = false;
      S.phaseAt = Date.now();
      S.reveal = m;
      if (S.role === 'host') {
        renderHostReveal();
      } else {
        renderPlayerReveal();
        if (!S.canAnswer) announce(`${revealAnnouncement(m)} You play from the next question.`);
      }
      break;
    case 'result':
      S.result = m;
      if (S.role === 'player') renderPlayerReveal();
      announce(`${m.correct ? `Correct! Plus ${m.points} points.` : 'Not this time.'} You are ${ordinal(m.rank)} of ${m.players}. ${S.reveal ? revealAnnouncement(S.reveal) : ''}`);
      break;
    case 'leaderboard':
      S.phase = 'leaderboard';
      S.nextBusy = false;
      S.phaseAt = Date.now();
      S.leaderboard = m;
      renderLeaderboard();
      break;
    case 'game_over':
      S.phase = 'finished';
      S.nextBusy = false;
      S.gameOver = m;
      renderPodium();
      break;
    case 'review':
      S.review = m;
      if (S.role === 'player') renderPodium();
      break;
    case 'report':
      S.report = m;
      if (S.role === 'host' && S.phase === 'finished') renderPodium();
      break;
    case 'notice':
      // A warning that lasts (results_not_saved): kept on screen until the
      // connection drops; the server repeats it to whoever resumes.
      banner(m.message || 'The server can no longer save this game.', 'warn');
      break;
    case 'kicked':
      store.del(`quizd:player:${S.code}`);
      store.set(`quizd:kicked:${S.code}`, S.name);
      S.wantConnection = false;
      S.token = null;
      ws && ws.close();
      show('kicked', el('section', { class: 'card center' },
        el('h1', { text: 'You were removed from this game' }),
        el('p', { text: m.message || 'The host removed you.' }),
        el('a', { class: 'btn', href: '/' }, 'Back to the start')));
      break;
    case 'error':
      if (m.req === undefined) {
        if (m.code === 'room_not_found' && S.role) {
          onResumeError({ code: 'room_not_found' });
        } else if (m.code === 'bad_token' && S.role) {
          // Another tab or device took over this seat.
          S.wantConnection = false;
          show('taken', el('section', { class: 'card center' },
            el('h1', { text: 'Opened somewhere else' }),
            el('p', { text: m.message }),
            el('button', { class: 'btn', onclick: () => location.reload() }, 'Use this tab instead')));
        } else {
          toast(errorText(m));
        }
      }
      break;
    default:
      break;
  }
}

function questionAnnouncement(q) {
  const opts = q.options.map((o, i) => `${LETTERS[i]}: ${o}`).join('. ');
  return `Question ${q.index + 1} of ${q.total}. ${q.prompt}${q.code ? ` Code: ${q.code}` : ''} Options: ${opts}.`;
}

function revealAnnouncement(rv) {
  const q = S.question;
  if (!q) return '';
  return `The right answer is ${LETTERS[rv.correct]}: ${q.options[rv.correct]}. ${rv.counts[rv.correct]} of ${rv.answered} chose it.`;
}

function applyState(m) {
  S.code = m.code;
  S.phase = m.phase;
  S.total = m.total;
  S.settings = m.settings;
  S.lobby = m.lobby;
  S.question = m.question || null;
  S.reveal = m.reveal || null;
  S.result = m.result || null;
  S.leaderboard = m.leaderboard || null;
  S.gameOver = m.game_over || null;
  S.phaseAt = 0;       // unknown: no auto-advance countdown after a reload
  S.nextBusy = false;
  S.answerable = m.answerable ?? null;
  if (m.phase === 'lobby') {
    // A new game in the same room (play again) starts from nothing.
    S.review = null;
    S.report = null;
    S.lastRanks = new Map();
  }
  if (m.role === 'player' && m.player) {
    S.playerId = m.player.id;
    S.name = m.player.name;
    S.firstIndex = m.player.first_index ?? 0;
    setTopInfo();
  }
  if (m.role === 'player') {
    // A player who joined after the question opened has no result for it.
    S.canAnswer = m.phase === 'question' ? m.can_answer !== false : !!S.result;
  }
  if (m.phase === 'question') {
    S.myAnswer = m.answered ?? null;
    S.answered = m.answered_count || 0;
    if (m.role === 'host') renderHostQuestion();
    else if (!S.canAnswer) renderPlayerWaitingNext();
    else renderPlayerQuestion();
  } else if (m.phase === 'reveal') {
    if (m.role === 'host') renderHostReveal();
    else renderPlayerReveal();
  } else if (m.phase === 'leaderboard') {
    renderLeaderboard();
  } else if (m.phase === 'finished') {
    renderPodium();
  } else if (m.role === 'host') {
    renderHostLobby();
  } else {
    renderPlayerLobby();
  }
}

// ---------------------------------------------------------------- countdowns

let countdownTimer = 0;
let lastSpoken = null;

function stopCountdown() {
  clearInterval(countdownTimer);
  countdownTimer = 0;
}

function startCountdown(node, bar) {
  stopCountdown();
  lastSpoken = null;
  const q = S.question;
  const tick = () => {
    const left = remainingMs(q.deadline_ms, S.offset);
    const secs = Math.ceil(left / 1000);
    node.textContent = String(secs);
    node.setAttribute('aria-label', `${secs} seconds left`);
    if (bar) bar.style.transform = `scaleX(${Math.min(1, left / q.time_ms)})`;
    node.classList.toggle('urgent', secs <= 5);
    if ((secs === 10 || secs === 5) && lastSpoken !== secs && S.myAnswer === null && S.role === 'player') {
      lastSpoken = secs;
      announce(`${secs} seconds left`);
    }
    if (left <= 0) stopCountdown();
  };
  tick();
  countdownTimer = setInterval(tick, 200);
}

function countdownView() {
  const num = el('div', { class: 'countdown', role: 'timer', 'aria-live': 'off' });
  const bar = el('div', { class: 'timebar-fill' });
  const wrap = el('div', { class: 'timebar', 'aria-hidden': 'true' }, bar);
  return { num, bar, wrap };
}

// Auto-advance: the server moves on by itself; show when.
let autoTimer = 0;
function stopAutoNext() {
  clearInterval(autoTimer);
  autoTimer = 0;
}

function autoNextView(ms, what) {
  if (!S.settings || !S.settings.auto_advance || !S.phaseAt) return null;
  const node = el('span', { class: 'auto-next', id: 'auto-next' });
  const tick = () => {
    const left = Math.max(0, Math.ceil((S.phaseAt + ms - Date.now()) / 1000));
    node.textContent = `${what} in ${left} s`;
    if (left <= 0) stopAutoNext();
  };
  tick();
  queueMicrotask(() => {
    stopAutoNext();
    autoTimer = setInterval(tick, 250);
  });
  return node;
}

// ---------------------------------------------------------------- start

function renderStart(message) {
  S.wantConnection = false;
  $topInfo.textContent = '';
  const params = new URLSearchParams(location.search);
  const code = params.get('room') || '';
  show('start', el('section', { class: 'start' },
    el('h1', { class: 'hero' }, 'Live quiz for meetups and study groups'),
    message ? el('p', { class: 'error', role: 'alert', text: message }) : null,
    el('div', { class: 'start-grid' },
      joinForm(code, null),
      el('div', { class: 'card' },
        el('h2', { text: 'Host a game' }),
        el('p', { text: 'Put this screen on a projector. Players join from their phones with a code.' }),
        el('button', { class: 'btn primary big', id: 'host-btn', onclick: renderHostSetup }, 'Host a game')))));
}

function joinForm(code, error) {
  const codeIn = el('input', {
    id: 'join-code', name: 'code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false',
    maxlength: 6, required: true, value: code, inputmode: 'text', 'aria-describedby': 'join-error',
    placeholder: 'ABC234',
  });
  const nameIn = el('input', {
    id: 'join-name', name: 'name', autocomplete: 'nickname', maxlength: 40, required: true,
    placeholder: 'Your nickname', 'aria-describedby': 'join-error',
  });
  const saved = code && store.get(`quizd:player:${normalizeCode(code)}`);
  if (saved && saved.name) nameIn.value = saved.name;
  const err = el('p', { id: 'join-error', class: 'error', role: 'alert', text: error || '' });
  const btn = el('button', { class: 'btn primary big', type: 'submit', id: 'join-btn' }, 'Join');
  const form = el('form', {
    class: 'card', id: 'join-form', novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      const c = normalizeCode(codeIn.value);
      const [name, nameErr] = normalizeName(nameIn.value);
      if (!isValidCode(c)) {
        err.textContent = 'Room codes have 6 letters and digits, like ABC234.';
        codeIn.focus();
        return;
      }
      if (nameErr) {
        err.textContent = `That name cannot be used: ${nameErr}.`;
        nameIn.focus();
        return;
      }
      btn.disabled = true;
      err.textContent = '';
      try {
        S.role = 'player';
        S.code = c;
        await request({ type: 'join', code: c, name });
      } catch (e) {
        S.role = null;
        const kicked = store.get(`quizd:kicked:${c}`);
        if (e.code === 'name_invalid' && typeof kicked === 'string' && kicked.toLowerCase() === name.toLowerCase()) {
          err.textContent = 'The host removed you from this game, so this name cannot join it again.';
        } else {
          err.textContent = e.code ? errorText(e) : 'Could not reach the server. Check your Wi-Fi and try again.';
        }
        (e.code === 'name_taken' || e.code === 'name_invalid' ? nameIn : codeIn).focus();
      } finally {
        btn.disabled = false;
      }
    },
  },
  el('h2', { text: 'Join a game' }),
  el('label', { for: 'join-code' }, 'Room code'), codeIn,
  el('label', { for: 'join-name' }, 'Nickname'), nameIn,
  err, btn);
  return form;
}

function renderJoin(code, error) {
  S.wantConnection = true;
  show('join', el('section', { class: 'start' }, joinForm(code, error)));
  const c = document.getElementById(code ? 'join-name' : 'join-code');
  c && c.focus();
}

// ---------------------------------------------------------------- host

// The host's setup form: a new room, or (again) a new game in this room
// with the same players, the current settings preselected.
async function renderHostSetup({ again = false } = {}) {
  const title = again ? 'Play again with the same players' : 'Host a game';
  show('setup-loading', el('section', { class: 'card' }, el('h1', { text: title }), el('p', { text: 'Loading question packs…' })));
  let packs = [];
  try {
    const [pr, ir] = await Promise.all([fetch('/api/packs'), fetch('/api/info')]);
    packs = (await pr.json()).packs;
    S.info = await ir.json();
  } catch {
    show('setup-error', el('section', { class: 'card' }, el('h1', { text: title }), el('p', { class: 'error', text: 'Could not load the question packs. Is the server running?' })));
    return;
  }
  const cur = again && S.settings ? S.settings : null;
  const packSel = el('select', { id: 'pack' }, packs.map((p) => el('option', { value: p.id, selected: !!cur && cur.pack === p.id }, `${p.title} (${p.questions} questions)`)));
  const catBox = el('fieldset', { class: 'cats' });
  const count = el('input', { id: 'count', type: 'number', min: 1, max: 50, value: cur ? cur.count : 10 });
  const secs = cur ? cur.seconds : 20;
  const seconds = el('select', { id: 'seconds' },
    [[0, 'Suggested per question'], [10, '10 s'], [20, '20 s'], [30, '30 s'], [45, '45 s'], [60, '60 s'], [90, '90 s'], [120, '120 s']]
      .map(([v, t]) => el('option', { value: v, selected: v === secs }, t)));
  const accuracy = !!cur && cur.scoring === 'accuracy';
  const scoring = el('fieldset', { class: 'radios' },
    el('legend', { text: 'Scoring' }),
    el('label', {}, el('input', { type: 'radio', name: 'scoring', value: 'classic', checked: !accuracy }),
      el('b', { text: 'Classic' }), ' — 500 to 1000 points per correct answer, more for faster answers, plus a streak bonus.'),
    el('label', {}, el('input', { type: 'radio', name: 'scoring', value: 'accuracy', checked: accuracy }),
      el('b', { text: 'Accuracy' }), ' — 1000 points per correct answer; speed only breaks ties. Good for study groups.'));
  const auto = el('label', { class: 'check' }, el('input', { type: 'checkbox', id: 'auto', checked: !!cur && cur.auto_advance }),
    ' Auto-advance (reveal and leaderboard move on by themselves)');
  const err = el('p', { class: 'error', role: 'alert' });
  const renderCats = () => {
    const p = packs.find((x) => x.id === packSel.value);
    catBox.replaceChildren(el('legend', { text: 'Categories (none ticked = all)' }),
      ...(p ? p.categories : []).map((c) => el('label', { class: 'check' },
        el('input', { type: 'checkbox', name: 'cat', value: c.name, checked: !!cur && cur.pack === p.id && (cur.categories || []).includes(c.name) }), ` ${c.name} `, el('span', { class: 'muted', text: `(${c.questions})` }))));
  };
  packSel.addEventListener('change', renderCats);
  renderCats();
  const btn = el('button', { class: 'btn primary big', type: 'submit', id: 'create-btn' }, again ? 'Back to the lobby' : 'Create the room');
  show('setup', el('form', {
    class: 'card setup', id: 'setup-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const cats = [...catBox.querySelectorAll('input[name=cat]:checked')].map((i) => i.value);
      const msg = {
        type: again ? 'play_again' : 'create_room',
        pack: packSel.value,
        count: Math.max(1, Math.min(50, Number(count.value) || 10)),
        seconds: Number(seconds.value),
        scoring: document.querySelector('input[name=scoring]:checked').value,
        auto_advance: auto.querySelector('input').checked,
      };
      if (cats.length) msg.categories = cats;
      btn.disabled = true;
      try {
        if (!again) S.role = 'host';
        await request(msg);
      } catch (e) {
        if (!again) S.role = null;
        err.textContent = e.code ? errorText(e) : 'Could not reach the server.';
      } finally {
        btn.disabled = false;
      }
    },
  },
  el('h1', { text: title }),
  again ? el('p', { class: 'muted', text: `Room ${S.code}: everyone stays connected; scores start again from 0.` }) : null,
  el('label', { for: 'pack' }, 'Question pack'), packSel,
  catBox,
  el('div', { class: 'row' },
    el('div', {}, el('label', { for: 'count' }, 'Questions'), count),
    el('div', {}, el('label', { for: 'seconds' }, 'Time per question'), seconds)),
  scoring, auto, err, btn,
  again ? el('button', { class: 'btn', type: 'button', id: 'again-cancel', onclick: () => renderPodium() }, 'Cancel') : null));
}

// A URL as text with line breaks allowed only after "/", "?" and "&"
// (<wbr>), so a long join URL wraps before "?room=CODE", never inside the
// room code.
function urlBreaks(url) {
  const out = [];
  for (const part of url.split(/(?<=[/?&])/)) out.push(part, document.createElement('wbr'));
  return out.slice(0, -1);
}

function joinUrl() {
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(location.hostname);
  const base = local && S.info && S.info.lan_urls && S.info.lan_urls[0] ? S.info.lan_urls[0] : `${location.origin}/`;
  return `${base}?room=${S.code}`;
}

function kick(p) {
  confirmDialog(`Remove ${p.name} from the game?`, 'Remove', () =>
    request({ type: 'kick', player_id: p.id }).catch((e) => toast(errorText(e))));
}

function playerRow(p) {
  return el('li', { class: p.connected ? 'pchip' : 'pchip offline', dataset: { id: p.id } },
    nameEl(p.name),
    p.connected ? null : el('span', { class: 'tag', text: 'offline' }),
    el('button', { class: 'btn small manage-only', 'aria-label': `Remove ${p.name}`, onclick: () => kick(p) }, 'Remove'));
}

async function ensureInfo() {
  if (S.info) return;
  try { S.info = await (await fetch('/api/info')).json(); } catch { S.info = {}; }
}

// The top bar of every projector screen: where we are, and the room code.
function stageBar(left) {
  return el('div', { class: 'sbar' }, ...left, el('span', { class: 'spacer' }),
    el('span', { class: 'roomchip', id: 'stage-room' }, 'Room ', el('b', { text: S.code })));
}

function lobbyInfoText() {
  return `${S.total} question${S.total === 1 ? '' : 's'} · ${S.settings && S.settings.scoring === 'accuracy' ? 'accuracy' : 'classic'} scoring${S.settings && S.settings.auto_advance ? ' · auto-advance' : ''}`;
}

async function renderHostLobby() {
  await ensureInfo();
  const url = joinUrl();
  const n = S.lobby.count || 0;
  const lockBtn = el('button', {
    class: 'btn', id: 'lock-btn',
    onclick: () => request({ type: 'lock', locked: !S.lobby.locked }).catch((e) => toast(errorText(e))),
  }, S.lobby.locked ? 'Unlock joining' : 'Lock joining');
  const manageBtn = el('button', {
    class: 'btn', id: 'manage-btn', 'aria-pressed': S.manage ? 'true' : 'false',
    onclick: () => {
      S.manage = !S.manage;
      document.querySelector('.stage').classList.toggle('manage', S.manage);
      manageBtn.setAttribute('aria-pressed', S.manage ? 'true' : 'false');
      manageBtn.textContent = S.manage ? 'Done managing' : 'Manage players';
      fitAll();
    },
  }, S.manage ? 'Done managing' : 'Manage players');
  const startBtn = el('button', {
    class: 'btn primary', id: 'start-btn', dataset: { next: '1' },
    onclick: hostStart,
  }, 'Start the game');
  show('host-lobby', el('section', { class: `stage lobby${S.manage ? ' manage' : ''}${n > CROWD ? ' crowd' : ''}`, id: 'host-lobby' },
    stageBar([el('span', { class: 'brand-s', text: 'quizd' }), el('span', { class: 'muted', text: lobbyInfoText() })]),
    el('div', { class: 'lobby-main grow' },
      el('div', { class: `lobby-join${S.lobby.locked ? ' locked' : ''}`, id: 'lobby-join' },
        el('h1', { class: 'sr-only', text: `Room ${S.code}: join the game` }),
        el('p', { class: 'muted', text: 'Join at' }),
        el('p', { class: 'url', id: 'join-url' }, urlBreaks(url)),
        el('p', { class: 'muted', text: 'with the code' }),
        el('p', { class: 'code', id: 'room-code', 'aria-label': `Room code ${[...S.code].join(' ')}`, text: S.code }),
        el('img', { class: 'qr', id: 'qr', alt: `QR code for ${url}`, src: `/api/qr.svg?text=${encodeURIComponent(url)}`, width: 260, height: 260 }),
        el('p', { class: 'lock-note', id: 'lock-note', text: 'Joining is locked' })),
      el('div', { class: 'lobby-players' },
        el('h2', {}, 'Players ', el('span', { id: 'player-count', class: 'count', text: String(n) })),
        el('p', { id: 'lock-state', class: 'sr-only', text: S.lobby.locked ? 'Joining is locked.' : 'Joining is open.' }),
        n ? null : el('p', { class: 'empty-note', id: 'empty-note', text: 'Waiting for players to join…' }),
        el('ul', { id: 'players', class: 'players' }, (S.lobby.players || []).map(playerRow)))),
    el('div', { class: 'sfoot' }, lockBtn, manageBtn, el('span', { class: 'spacer' }), startBtn)));
}

function hostStart() {
  if (S.nextBusy) return;
  S.nextBusy = true;
  request({ type: 'start' }).catch((e) => {
    S.nextBusy = false;
    toast(e.code === 'bad_phase' ? 'Wait for at least one player to join.' : errorText(e));
  });
}

function updateHostLobby() {
  const list = document.getElementById('players');
  if (!list || screenKey !== 'host-lobby') {
    renderHostLobby();
    return;
  }
  list.replaceChildren(...S.lobby.players.map(playerRow));
  const empty = document.getElementById('empty-note');
  if (empty && S.lobby.count) empty.remove();
  document.getElementById('player-count').textContent = String(S.lobby.count);
  document.getElementById('lock-state').textContent = S.lobby.locked ? 'Joining is locked.' : 'Joining is open.';
  document.getElementById('lock-btn').textContent = S.lobby.locked ? 'Unlock joining' : 'Lock joining';
  document.getElementById('lobby-join').classList.toggle('locked', !!S.lobby.locked);
  document.getElementById('host-lobby').classList.toggle('crowd', S.lobby.count > CROWD);
  fitAll();
}

function onlineCount() {
  return S.lobby.players.filter((p) => p.connected).length;
}

function updatePlayerStatus() {
  const n = document.getElementById('online-count');
  if (n) n.textContent = `${onlineCount()}/${S.lobby.count}`;
}

// With code, four short options fit in one row: room for more code.
function shortOptions(q) {
  return !!q.code && q.options.every((o) => [...o].length <= 14);
}

// The host's player list during the game (online state, score, removal).
function playersDialogList() {
  const players = [...(S.lobby.players || [])].sort((a, b) => (b.score || 0) - (a.score || 0));
  return el('ul', { class: 'plist', id: 'plist' }, players.map((p) => el('li', {},
    el('span', { class: `dot${p.connected ? '' : ' off'}`, 'aria-hidden': 'true' }),
    nameEl(p.name),
    el('span', { class: 'muted', text: p.connected ? 'online' : 'offline' }),
    el('span', { class: 'nowrap', text: `${fmt(p.score)} pts` }),
    el('button', { class: 'btn small', 'aria-label': `Remove ${p.name}`, onclick: () => { closePlayersDialog(); kick(p); } }, 'Remove'))));
}

function openPlayersDialog() {
  closePlayersDialog();
  const d = el('dialog', { class: 'modal', id: 'players-dlg', 'aria-labelledby': 'players-dlg-title' },
    el('h2', { id: 'players-dlg-title', text: `Players: ${onlineCount()} of ${S.lobby.count} online` }),
    playersDialogList(),
    el('button', { class: 'btn', id: 'players-dlg-close', onclick: () => d.close() }, 'Close'));
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
}

function closePlayersDialog() {
  const d = document.getElementById('players-dlg');
  if (d) d.close();
}

function updatePlayersDialog() {
  const d = document.getElementById('players-dlg');
  if (!d) return;
  d.querySelector('h2').textContent = `Players: ${onlineCount()} of ${S.lobby.count} online`;
  d.querySelector('#plist').replaceWith(playersDialogList());
}

function hostNext() {
  if (S.nextBusy) return;
  S.nextBusy = true;
  // Cleared by the next phase message; a failed request clears it at once.
  request({ type: 'next' }).catch((e) => {
    S.nextBusy = false;
    toast(errorText(e));
  });
}

function hostControls(primaryLabel) {
  return el('div', { class: 'host-controls' },
    el('button', { class: 'btn', id: 'players-btn', onclick: openPlayersDialog }, 'Players ',
      el('span', { id: 'online-count', class: 'nowrap', text: `${onlineCount()}/${S.lobby.count}` })),
    el('button', {
      class: 'btn', id: 'end-btn',
      onclick: () => confirmDialog('End the game now and show the podium?', 'End game', () => request({ type: 'end' }).catch((e) => toast(errorText(e)))),
    }, 'End game'),
    el('button', { class: 'btn primary', id: 'next-btn', dataset: { next: '1' }, onclick: hostNext }, primaryLabel));
}

function optionItem(q, i, tag = 'li', extra = {}) {
  return el(tag, { class: `opt opt${i}`, ...extra },
    el('span', { class: 'shape', 'aria-hidden': 'true', text: SHAPES[i] }),
    el('span', { class: 'letter', text: LETTERS[i] }),
    el('span', { class: 'otext', text: q.options[i] }));
}

function questionHeader(q) {
  return el('div', { class: 'qhead' },
    el('span', { class: 'qnum', text: `Question ${q.index + 1} of ${q.total}` }),
    el('span', { class: 'qcat', text: q.category }));
}

function codeView(code) {
  if (!code) return null;
  const lines = code.replace(/\n+$/, '').split('\n');
  return el('div', { class: 'code-wrap' },
    el('pre', { class: 'code-block' }, el('code', {}, lines.map((l) => el('span', { class: 'ln', text: l })))),
    el('p', { class: 'code-more', 'aria-hidden': 'true', text: 'Scroll for more ↓' }));
}

function stageQuestionBar(q) {
  return stageBar([el('span', { class: 'qnum', text: `Question ${q.index + 1} of ${q.total}` }), el('span', { class: 'qcat', text: q.category })]);
}

function renderHostQuestion() {
  const q = S.question;
  const cd = countdownView();
  show(`host-q-${q.index}`, el('section', { class: `stage question host${q.code ? '' : ' nocode'}` },
    stageQuestionBar(q),
    el('h1', { class: 'prompt', text: q.prompt }),
    codeView(q.code),
    el('ul', { class: `opts${shortOptions(q) ? ' short' : ''}` }, q.options.map((_, i) => optionItem(q, i))),
    el('div', { class: 'sfoot' },
      cd.num, cd.wrap,
      el('p', { class: 'answered', id: 'answered', 'aria-live': 'off', text: `${S.answered} of ${S.answerable ?? S.lobby.count} answered` }),
      hostControls('Close question'))));
  updatePlayerStatus();
  startCountdown(cd.num, cd.bar);
}

function updateAnsweredCount(n, total) {
  const a = document.getElementById('answered');
  if (a) a.textContent = `${n} of ${total} answered`;
}

// Options with the answer spread as bars; counts are words ("3 answers"),
// so they cannot be mistaken for a numeric option.
function revealOptions(rv, q, mine) {
  const total = rv.counts.reduce((a, b) => a + b, 0);
  return el('ul', { class: `opts reveal${shortOptions(q) ? ' short' : ''}`, id: 'reveal-opts' }, q.options.map((_, i) => {
    const n = rv.counts[i] || 0;
    const pct = total ? Math.round((100 * n) / total) : 0;
    const fill = el('span', { class: 'bar-fill', dataset: { n } });
    fill.style.width = `${total ? (100 * n) / total : 0}%`;   // CSSOM: allowed by the CSP
    const o = optionItem(q, i);
    if (i === rv.correct) {
      o.classList.add('correct');
      o.append(el('span', { class: 'badge', 'aria-hidden': 'true' }, '✓', el('span', { class: 'badge-word', text: ' Correct' })), srOnly(' (correct)'));
    }
    if (mine === i) {
      o.classList.add('mine');
      o.append(el('span', { class: 'badge mine', text: 'Your answer' }));
    }
    o.append(el('span', { class: 'spread' },
      el('span', { class: 'bar', 'aria-hidden': 'true' }, fill),
      el('span', { class: 'bar-n', text: `${n}\u00a0${n === 1 ? 'answer' : 'answers'} · ${pct}\u00a0%` })));
    return o;
  }));
}

function whyView(rv, cls) {
  const src = sourceText(rv.source);
  return el('div', { class: cls, id: 'why' },
    el('h2', { text: 'Why' }),
    el('p', { class: 'expl', text: rv.explanation || '' }),
    src ? el('p', { class: 'source muted', text: `Source: ${src}` }) : null,
    el('span', { class: 'why-more', 'aria-hidden': 'true', text: 'Scroll for more ↓' }));
}

function renderHostReveal() {
  const q = S.question;
  const rv = S.reveal;
  if (!q || !rv) return;
  // With code, fit.js tries three arrangements (style.css): stacked; code
  // beside the options and "Why" (wide screens); stacked and compact, "Why"
  // beside the host's buttons (4:3 with long code).
  show(`host-r-${q.index}`, el('section', { class: 'stage question host revealed', dataset: q.code ? { layouts: 'stack side tight' } : null },
    stageQuestionBar(q),
    el('h1', { class: 'prompt', text: q.prompt }),
    codeView(q.code),
    el('div', { class: 'rv-side' }, revealOptions(rv, q, null), whyView(rv, 'why')),
    el('div', { class: 'sfoot' },
      el('p', { class: 'answered', text: `${rv.answered} of ${rv.answerable ?? rv.players} answered` }),
      el('span', { class: 'spacer' }),
      autoNextView(AUTO_REVEAL_MS, 'Leaderboard'),
      hostControls('Show leaderboard'))));
}

// ---------------------------------------------------------------- leaderboard & podium

function moveView(move) {
  if (move === null) return el('span', { class: 'move' });
  if (move === 'new') return el('span', { class: 'move new' }, el('span', { 'aria-hidden': 'true', text: '▲ new' }), srOnly('new in the top list'));
  if (move > 0) return el('span', { class: 'move up' }, el('span', { 'aria-hidden': 'true', text: `▲ ${move}` }), srOnly(`up ${move} place${move === 1 ? '' : 's'}`));
  if (move < 0) return el('span', { class: 'move down' }, el('span', { 'aria-hidden': 'true', text: `▼ ${-move}` }), srOnly(`down ${-move} place${move === -1 ? '' : 's'}`));
  return el('span', { class: 'move same' }, el('span', { 'aria-hidden': 'true', text: '–' }), srOnly('same place'));
}

// The name of the player just ahead, from the leaderboard of the same
// question only (an older one may have another order).
function aheadName(rank, index) {
  const lb = S.leaderboard;
  if (!lb || lb.index !== index || rank <= 1) return null;
  const ahead = lb.top.filter((p) => p.rank < rank).pop();
  return ahead ? ahead.name : null;
}

function gapLine(r) {
  if (r.rank <= 1) return el('p', { class: 'muted', id: 'gap', text: 'You are in the lead!' });
  // The server names the player just ahead (result.ahead); an older
  // server does not, and the leaderboard of this question may.
  const name = typeof r.ahead === 'string' ? r.ahead : aheadName(r.rank, r.index);
  const who = name ? el('bdi', { text: name }) : `the player in ${ordinal(r.rank - 1)} place`;
  if (r.gap_to_next === 0) return el('p', { class: 'muted', id: 'gap' }, 'Level on points with ', who, ': faster answers break the tie.');
  return el('p', { class: 'muted', id: 'gap' }, `${fmt(r.gap_to_next)} points behind `, who);
}

function renderLeaderboard() {
  const lb = S.leaderboard;
  if (!lb) return;
  const isHost = S.role === 'host';
  const last = lb.index + 1 >= lb.total;
  const rows = lbRows(lb).map((p) => el('li', { class: `lb-row${p.player_id === S.playerId ? ' me' : ''}`, dataset: { id: p.player_id } },
    el('span', { class: 'rank' }, srOnly('Place '), String(p.rank)),
    moveView(p.move),
    el('span', { class: 'lb-name' }, nameEl(p.name),
      p.streak >= 2 ? el('span', { class: 'streak' }, el('span', { 'aria-hidden': 'true', text: `🔥${p.streak}` }), srOnly(`, streak of ${p.streak}`)) : null),
    el('span', { class: 'gain', text: p.gain !== null && p.gain > 0 ? `+${fmt(p.gain)}` : '' }),
    el('span', { class: 'score' }, fmt(p.score), srOnly(' points'))));
  const title = last ? 'Final standings' : `Leaderboard after ${lb.index + 1} of ${lb.total}`;
  const list = el('ol', { class: 'lb', id: 'leaderboard' }, rows);
  if (isHost) {
    show(`host-lb-${lb.index}`, el('section', { class: 'stage leaderboard' },
      stageBar([el('span', { class: 'qnum', text: `After question ${lb.index + 1} of ${lb.total}` })]),
      el('h1', { class: 'title', text: title }),
      list,
      el('div', { class: 'sfoot' },
        el('span', { class: 'muted', text: `${lb.players} players` }),
        el('span', { class: 'spacer' }),
        autoNextView(AUTO_LEADERBOARD_MS, last ? 'Podium' : 'Next question'),
        hostControls(last ? 'Show the podium' : 'Next question'))));
  } else {
    const r = S.result;
    show(`lb-${lb.index}`, el('section', { class: 'leaderboard' },
      el('h1', { text: title }),
      r ? el('p', { class: 'me-line', id: 'me-line', text: `You: ${ordinal(r.rank)} of ${r.players}, ${fmt(r.score)} points` }) : null,
      r ? gapLine(r) : null,
      list,
      el('p', { class: 'muted', text: last ? 'The podium is next…' : 'Get ready for the next question…' })));
  }
  // FLIP: slide rows from where the same players stood before. Without
  // motion the arrows and gains above say the same thing.
  if (!reduceMotion) {
    document.querySelectorAll('.lb-row').forEach((r) => {
      const prev = S.lastRanks.get(r.dataset.id);
      if (prev === undefined) return;
      const now = Array.prototype.indexOf.call(r.parentNode.children, r);
      if (prev !== now) {
        r.animate([{ transform: `translateY(${(prev - now) * 100}%)` }, { transform: 'translateY(0)' }], { duration: 600, easing: 'ease-out' });
      }
    });
  }
  S.lastRanks = new Map(lb.top.map((p, i) => [String(p.player_id), i]));
}

function podiumView(go) {
  const { podium, rest } = podiumSplit(go.top);
  const steps = podium.map((p, i) => el('li', { class: `step p${i + 1}`, dataset: { rank: p.rank } },
    el('span', { class: 'place' }, el('span', { 'aria-hidden': 'true', text: String(p.rank) }), srOnly(`${ordinal(p.rank)} place: `)),
    nameEl(p.name),
    el('span', { class: 'score', text: `${fmt(p.score)} points` })));
  const podiumList = steps.length
    ? el('ol', { class: `podium${reduceMotion ? '' : ' staged'}`, id: 'podium', 'aria-label': 'Podium' }, steps)
    : el('p', { class: 'muted', id: 'podium', text: 'Nobody scored any points this time.' });
  const restList = rest.length ? el('ol', { class: 'rest', id: 'rest', 'aria-label': 'Other places' }, rest.map((p) => el('li', {},
    el('span', { class: 'rank', text: String(p.rank) }), nameEl(p.name), el('span', { class: 'muted', text: `${fmt(p.score)} points` })))) : null;
  return { podiumList, restList, podium };
}

function podiumAnnouncement(podium) {
  return podium.length ? `Podium. ${podium.map((p) => `${ordinal(p.rank)} place: ${p.name}, ${p.score} points.`).join(' ')}` : 'Game over. Nobody scored.';
}

function renderPodium() {
  const go = S.gameOver;
  if (!go) return;
  const { podiumList, restList, podium } = podiumView(go);
  if (S.role === 'host') {
    show('host-final', el('section', { class: 'stage final' },
      stageBar([el('span', { class: 'qnum', text: `${go.questions} question${go.questions === 1 ? '' : 's'} · ${go.players} player${go.players === 1 ? '' : 's'}` })]),
      el('h1', { class: 'title', text: 'Podium' }),
      el('div', { class: 'grow', style: null }, podiumList),
      restList,
      el('div', { class: 'sfoot' },
        el('span', { class: 'spacer' }),
        el('a', { class: 'btn', href: '#report', id: 'report-link' }, 'Game report ↓'),
        el('button', { class: 'btn primary', id: 'again-btn', onclick: () => renderHostSetup({ again: true }) }, 'Play again'),
        el('a', { class: 'btn', href: '/', onclick: () => store.del(`quizd:host:${S.code}`) }, 'New room'))),
    hostReport());
    announce(podiumAnnouncement(podium));
    return;
  }
  const rv = S.review;
  const rank = rv ? rv.rank : S.result && S.result.rank;
  const parts = [el('h1', { text: 'Game over' })];
  if (rank) {
    parts.push(el('p', { class: `finish card${rank === 1 ? ' won' : ''}`, id: 'finish' },
      rank === 1 ? `You won! 🏆 ${fmt(rv ? rv.score : S.result.score)} points` : `You finished ${ordinal(rank)} of ${go.players} with ${fmt(rv ? rv.score : S.result.score)} points`));
  }
  parts.push(podiumList, restList);
  if (rv) parts.push(reviewView(rv));
  parts.push(el('a', { class: 'btn', href: '/', onclick: () => store.del(`quizd:player:${S.code}`) }, 'Play another game'));
  show('final', el('section', { class: 'final' }, ...parts));
  if (rv) announce(`Game over. ${rank === 1 ? 'You won!' : `You finished ${ordinal(rank)} of ${go.players}`} with ${rv.score} points. ${podiumAnnouncement(podium)}`);
}

// The host's report, from the server's `report` (PROTOCOL.md): it arrives
// right after game_over, and again after a reload.
function hostReport() {
  const rp = S.report;
  if (!rp) return el('section', { class: 'report card', id: 'report' }, el('h2', { text: 'Game report' }), el('p', { class: 'muted', text: 'The report is on its way…' }));
  const stats = questionStats(rp.questions);
  return el('section', { class: 'report card', id: 'report' },
    el('h2', { text: 'Game report' }),
    el('div', { class: 'row' },
      el('button', { class: 'btn', id: 'csv-questions', onclick: () => download(`quizd-${S.code}-questions.csv`, questionsCsv(stats), 'text/csv') }, 'Download questions (CSV)'),
      el('button', { class: 'btn', id: 'csv-players', onclick: () => download(`quizd-${S.code}-players.csv`, playersCsv(rp.players), 'text/csv') }, 'Download players (CSV)')),
    el('h3', { text: 'Questions, hardest first' }),
    el('table', { id: 'report-questions' },
      el('thead', {}, el('tr', {}, ['Question', 'Prompt', 'Correct', 'Most chosen wrong answer'].map((h, i) => el('th', { class: i === 2 ? 'num' : null, scope: 'col', text: h })))),
      el('tbody', {}, stats.map((st) => el('tr', {},
        el('td', { text: String(st.number) }),
        el('td', { text: st.prompt }),
        el('td', { class: 'num', text: `${Math.round(st.share * 100)} % (${st.correctCount}/${st.answerable})` }),
        el('td', { text: st.wrong ? `${st.wrong.letter}. ${st.wrong.text} (${st.wrong.count})` : '—' }))))),
    el('h3', { text: rp.truncated ? `Players (first ${rp.players.length} of ${rp.count})` : `Players (${rp.count})` }),
    el('table', { id: 'report-players' },
      el('thead', {}, el('tr', {}, ['Place', 'Name', 'Score', 'Correct', 'Streak', 'Best streak'].map((h, i) => el('th', { class: i >= 2 ? 'num' : null, scope: 'col', text: h })))),
      el('tbody', {}, rp.players.map((p) => el('tr', {},
        el('td', { text: String(p.rank) }), el('td', {}, el('bdi', { text: p.name })),
        el('td', { class: 'num', text: fmt(p.score) }), el('td', { class: 'num', text: String(p.correct) }),
        el('td', { class: 'num', text: String(p.streak) }), el('td', { class: 'num', text: String(p.best_streak) }))))));
}

function reviewView(rv) {
  return el('section', { class: 'review card', id: 'review' },
    el('h2', { text: `Your game: ${rv.correct} of ${rv.questions} correct, ${fmt(rv.score)} points, best streak ${rv.best_streak}` }),
    el('button', {
      class: 'btn', id: 'review-download',
      onclick: () => download(`quizd-review-${S.code}.md`, reviewMarkdown(rv, { code: S.code, name: S.name, players: S.gameOver && S.gameOver.players }), 'text/markdown'),
    }, 'Download review'),
    rv.missed.length ? el('p', { text: 'Review what you missed:' }) : el('p', { text: 'You answered everything correctly. Impressive!' }),
    el('ol', { class: 'missed' }, rv.missed.map((m) => el('li', { dataset: { index: m.index } },
      el('h3', { class: 'mnum', text: `Question ${m.index + 1}${m.category ? ` · ${m.category}` : ''}` }),
      el('p', { class: 'mprompt', text: m.prompt }),
      codeView(m.code),
      el('ul', { class: 'ropts' }, m.options.map((o, i) => el('li', { class: `${i === m.correct ? 'is-correct' : ''}${i === m.chosen ? ' is-mine' : ''}` },
        `${LETTERS[i]}. ${o}`,
        i === m.correct ? ' ✓ right answer' : '',
        i === m.chosen && i !== m.correct ? ' ✗ your answer' : ''))),
      m.chosen === null || m.chosen === undefined ? el('p', { class: 'muted', text: 'You did not answer.' }) : null,
      el('p', { class: 'expl', text: m.explanation }),
      sourceText(m.source) ? el('p', { class: 'source muted', text: `Source: ${sourceText(m.source)}` }) : null))));
}

// ---------------------------------------------------------------- player

function renderPlayerLobby() {
  setTopInfo();
  show('lobby', el('section', { class: 'card center waiting' },
    el('h1', { text: `You're in, ${S.name}!` }),
    el('p', { text: 'Watch the big screen: the game starts soon.' }),
    el('p', { class: 'muted', id: 'lobby-count', text: `${S.lobby.count} player${S.lobby.count === 1 ? '' : 's'} in the room` }),
    S.lobby.locked ? el('p', { class: 'muted', text: 'The host has locked joining.' }) : null));
}

function renderPlayerWaitingNext() {
  const q = S.question;
  show(`wait-${q ? q.index : 'x'}`, el('section', { class: 'card center waiting' },
    el('h1', { text: `Welcome, ${S.name}!` }),
    el('p', { id: 'late-note', text: q ? `Question ${q.index + 1} of ${q.total} is running: you will play from the next one, question ${Math.max(S.firstIndex, q.index + 1) + 1}.` : 'A question is running: you will play from the next one.' }),
    el('p', { class: 'muted', text: 'Watch the big screen meanwhile.' })));
}

function choose(i) {
  const q = S.question;
  if (!q || !S.canAnswer || S.myAnswer !== null || S.pending !== null || S.phase !== 'question') return;
  if (remainingMs(q.deadline_ms, S.offset) <= 0) return;
  S.pending = i;
  renderPlayerQuestion();
  request({ type: 'answer', index: q.index, choice: i }).catch((e) => {
    S.pending = null;
    if (e.code === 'already_answered') return;
    toast(e.code ? errorText(e) : 'Your answer did not reach the server. Try again.');
    renderPlayerQuestion();
  });
}

function renderPlayerQuestion() {
  const q = S.question;
  if (!q) return;
  const locked = S.myAnswer !== null || S.pending !== null;
  const cd = countdownView();
  const status = S.myAnswer !== null
    ? el('p', { class: 'status ok', id: 'answer-status', role: 'status', 'data-refocus': '1', text: `Answer ${LETTERS[S.myAnswer]} received. Waiting for the others…` })
    : S.pending !== null
      ? el('p', { class: 'status', id: 'answer-status', role: 'status', 'data-refocus': '1', text: 'Sending…' })
      : el('p', { class: 'status muted', id: 'answer-status', text: hasKeyboard ? 'Tap an answer or press 1–4.' : 'Tap an answer.' });
  show(`q-${q.index}`, el('section', { class: 'question player' },
    el('div', { class: 'qbar' }, el('span', { class: 'qnum', text: `Question ${q.index + 1} of ${q.total}` }), cd.num, cd.wrap),
    el('div', { class: 'pq' }, el('h1', { class: 'prompt', text: q.prompt }), codeView(q.code)),
    el('div', { class: `opts answer${shortOptions(q) ? ' short' : ''}` }, q.options.map((_, i) => {
      const chosen = S.myAnswer === i || S.pending === i;
      return el('button', {
        class: `opt opt${i}${chosen ? ' chosen' : ''}${locked && !chosen ? ' dim' : ''}`,
        'aria-pressed': chosen ? 'true' : 'false', disabled: locked, onclick: () => choose(i),
      },
      el('span', { class: 'shape', 'aria-hidden': 'true', text: SHAPES[i] }),
      el('span', { class: 'letter', text: LETTERS[i] }),
      el('span', { class: 'otext', text: q.options[i] }));
    })),
    status));
  startCountdown(cd.num, cd.bar);
}

function renderPlayerReveal() {
  const q = S.question;
  const rv = S.reveal;
  if (!q || !rv) return;
  const r = S.result;
  let head;
  if (r) {
    head = el('div', { class: `verdict ${r.correct ? 'right' : 'wrong'}`, id: 'verdict' },
      el('h1', { text: r.correct ? 'Correct!' : (r.chosen === null ? "Time's up" : 'Not this time') }),
      el('p', { class: 'points', text: r.correct ? `+${fmt(r.points)} points` : '+0 points' }),
      el('p', {}, `Score ${fmt(r.score)} · ${ordinal(r.rank)} of ${r.players}`, r.streak > 1 ? ` · streak ${r.streak} 🔥` : ''),
      gapLine(r));
  } else if (!S.canAnswer) {
    head = el('div', { class: 'verdict late', id: 'verdict-late' },
      el('h1', { text: 'You joined during this question' }),
      el('p', { text: q.index + 1 < q.total ? 'You play from the next question.' : 'This was the last question: the podium is next.' }));
  } else {
    head = el('p', { class: 'muted', id: 'verdict-wait', text: 'Results are coming…' });
  }
  show(`r-${q.index}`, el('section', { class: 'question player revealed' },
    head,
    questionHeader(q),
    el('p', { class: 'prompt small', text: q.prompt }),
    revealOptions(rv, q, r ? r.chosen : S.myAnswer),
    codeView(q.code),
    whyView(rv, 'explain card')));
}

// ---------------------------------------------------------------- keyboard

function inField(t) {
  return t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

document.addEventListener('keydown', (ev) => {
  if (inField(ev.target) || ev.altKey || ev.ctrlKey || ev.metaKey) return;
  if (S.role === 'host') {
    // Presenter clickers send PageDown / Right / Space: all mean "next".
    if (!NEXT_KEYS.includes(ev.key) || document.querySelector('dialog[open]')) return;
    const btn = $app.querySelector('[data-next]');
    if (!btn) return;
    ev.preventDefault();   // Space must not also press the focused button
    if (btn.id === 'start-btn') hostStart();
    else hostNext();
    return;
  }
  if (S.role !== 'player' || S.phase !== 'question') return;
  const n = Number(ev.key);
  if (n >= 1 && n <= 4 && S.question && n <= S.question.options.length) {
    ev.preventDefault();
    choose(n - 1);
  }
});

// ---------------------------------------------------------------- boot

function boot() {
  const params = new URLSearchParams(location.search);
  const host = normalizeCode(params.get('host'));
  const room = normalizeCode(params.get('room'));
  if (host) {
    const token = store.get(`quizd:host:${host}`);
    if (token) {
      S.role = 'host';
      S.code = host;
      S.hostToken = token;
      show('resume', el('section', { class: 'card center' }, el('h1', { text: `Returning to room ${host}…` })));
      connect();
      return;
    }
    renderStart(`This browser is not the host of room ${host}.`);
    return;
  }
  if (room) {
    const saved = store.get(`quizd:player:${room}`);
    if (saved && saved.token) {
      S.role = 'player';
      S.code = room;
      S.token = saved.token;
      S.name = saved.name;
      setTopInfo();
      show('resume', el('section', { class: 'card center' }, el('h1', { text: `Rejoining room ${room}…` })));
      connect();
      return;
    }
    renderJoin(room, null);
    connect(room);
    return;
  }
  renderStart();
}

boot();
