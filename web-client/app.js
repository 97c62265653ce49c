// quizd web client: the host/projector screen and the phone player screen.
// All server text goes into the page with textContent (never innerHTML), so
// a nickname like <iframe onload=alert(1)> is shown, not run.
import {
  errorText, normalizeName, normalizeCode, isValidCode, clockOffset, remainingMs,
} from './proto.js';

const $app = document.getElementById('app');
const $live = document.getElementById('live');
const $banner = document.getElementById('banner');
const $topInfo = document.getElementById('top-info');

const SHAPES = ['▲', '◆', '●', '■'];
const LETTERS = ['A', 'B', 'C', 'D'];
const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;

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

function show(...nodes) {
  stopCountdown();
  $app.replaceChildren(...nodes);
}

function announce(text) {
  $live.textContent = '';
  // A new text node each time so screen readers repeat identical messages.
  setTimeout(() => { $live.textContent = text; }, 30);
}

function banner(text, kind = 'warn') {
  if (!text) {
    $banner.hidden = true;
    return;
  }
  $banner.textContent = text;
  $banner.className = `banner ${kind}`;
  $banner.hidden = false;
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
  myAnswer: null,      // display index the server acknowledged
  pending: null,       // display index sent, not yet acknowledged
  answered: 0,
  reveal: null,
  result: null,
  leaderboard: null,
  lastRanks: new Map(),
  gameOver: null,
  review: null,
  offset: 0,
  rtt: Infinity,
  info: null,
  wantConnection: false,
};

// ---------------------------------------------------------------- connection

let ws = null;
let reqSeq = 0;
const pendingReq = new Map();
let retry = 0;
let retryTimer = 0;
let pingTimer = 0;
let pingSent = new Map();

function wsUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

function connect() {
  S.wantConnection = true;
  clearTimeout(retryTimer);
  if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) return;
  ws = new WebSocket(wsUrl());
  ws.addEventListener('open', () => {
    retry = 0;
    banner(null);
    ping();
    clearInterval(pingTimer);
    pingTimer = setInterval(ping, 10000);
    for (const fn of onOpen.splice(0)) fn();
    resume();
  });
  ws.addEventListener('message', (ev) => {
    let m;
    try { m = JSON.parse(ev.data); } catch { return; }
    handle(m);
  });
  ws.addEventListener('close', (ev) => {
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

const onOpen = [];

function whenOpen() {
  return new Promise((resolve) => {
    if (ws && ws.readyState === WebSocket.OPEN) resolve();
    else {
      onOpen.push(resolve);
      connect();
    }
  });
}

function send(msg) {
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(msg));
  return true;
}

// Sends msg with a req id; resolves with the direct reply (rejects on error).
async function request(msg) {
  await whenOpen();
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
      store.set(`quizd:player:${m.code}`, { token: m.token, name: m.name });
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
      if (S.role === 'host') updatePlayerStatus();
      break;
    case 'question':
      S.phase = 'question';
      S.question = m;
      S.myAnswer = null;
      S.pending = null;
      S.answered = 0;
      S.reveal = null;
      S.result = null;
      if (S.role === 'host') renderHostQuestion();
      else renderPlayerQuestion();
      announce(`Question ${m.index + 1} of ${m.total}. ${m.prompt}`);
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
      updateAnsweredCount(m.answered, m.players);
      break;
    case 'reveal':
      S.phase = 'reveal';
      S.reveal = m;
      if (S.role === 'host') renderHostReveal();
      else renderPlayerReveal();
      break;
    case 'result':
      S.result = m;
      if (S.role === 'player') renderPlayerReveal();
      announce(m.correct ? `Correct! Plus ${m.points} points. You are number ${m.rank} of ${m.players}.`
        : `Not this time. You are number ${m.rank} of ${m.players}.`);
      break;
    case 'leaderboard':
      S.phase = 'leaderboard';
      S.leaderboard = m;
      renderLeaderboard();
      break;
    case 'game_over':
      S.phase = 'finished';
      S.gameOver = m;
      renderPodium();
      break;
    case 'review':
      S.review = m;
      if (S.role === 'player') renderPodium();
      break;
    case 'kicked':
      store.del(`quizd:player:${S.code}`);
      S.wantConnection = false;
      S.token = null;
      ws && ws.close();
      show(el('section', { class: 'card center' },
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
          show(el('section', { class: 'card center' },
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
  if (m.role === 'player' && m.player) {
    S.playerId = m.player.id;
    S.name = m.player.name;
  }
  if (m.phase === 'question') {
    S.myAnswer = m.answered ?? null;
    S.answered = m.answered_count || 0;
    if (m.role === 'host') renderHostQuestion();
    else if (m.can_answer === false) renderPlayerWaitingNext();
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

// ---------------------------------------------------------------- countdown

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
    if ((secs === 10 || secs === 5) && lastSpoken !== secs && S.myAnswer === null) {
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

// ---------------------------------------------------------------- start

function renderStart(message) {
  S.wantConnection = false;
  $topInfo.textContent = '';
  const params = new URLSearchParams(location.search);
  const code = params.get('room') || '';
  show(el('section', { class: 'start' },
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
        err.textContent = e.code ? errorText(e) : 'Could not reach the server. Check your Wi-Fi and try again.';
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
  show(el('section', { class: 'start' }, joinForm(code, error)));
  const c = document.getElementById(code ? 'join-name' : 'join-code');
  c && c.focus();
}

// ---------------------------------------------------------------- host

async function renderHostSetup() {
  show(el('section', { class: 'card' }, el('h1', { text: 'Host a game' }), el('p', { text: 'Loading question packs…' })));
  let packs = [];
  try {
    const [pr, ir] = await Promise.all([fetch('/api/packs'), fetch('/api/info')]);
    packs = (await pr.json()).packs;
    S.info = await ir.json();
  } catch {
    show(el('section', { class: 'card' }, el('p', { class: 'error', text: 'Could not load the question packs. Is the server running?' })));
    return;
  }
  const packSel = el('select', { id: 'pack' }, packs.map((p) => el('option', { value: p.id }, `${p.title} (${p.questions} questions)`)));
  const catBox = el('fieldset', { class: 'cats' });
  const count = el('input', { id: 'count', type: 'number', min: 1, max: 50, value: 10 });
  const seconds = el('select', { id: 'seconds' },
    [[0, 'Suggested per question'], [10, '10 s'], [20, '20 s'], [30, '30 s'], [45, '45 s'], [60, '60 s'], [90, '90 s'], [120, '120 s']]
      .map(([v, t]) => el('option', { value: v, selected: v === 20 }, t)));
  const scoring = el('fieldset', { class: 'radios' },
    el('legend', { text: 'Scoring' }),
    el('label', {}, el('input', { type: 'radio', name: 'scoring', value: 'classic', checked: true }),
      el('b', { text: 'Classic' }), ' — 500 to 1000 points per correct answer, more for faster answers, plus a streak bonus.'),
    el('label', {}, el('input', { type: 'radio', name: 'scoring', value: 'accuracy' }),
      el('b', { text: 'Accuracy' }), ' — 1000 points per correct answer; speed only breaks ties. Good for study groups.'));
  const auto = el('label', { class: 'check' }, el('input', { type: 'checkbox', id: 'auto' }),
    ' Auto-advance (reveal and leaderboard move on by themselves)');
  const err = el('p', { class: 'error', role: 'alert' });
  const renderCats = () => {
    const p = packs.find((x) => x.id === packSel.value);
    catBox.replaceChildren(el('legend', { text: 'Categories (none ticked = all)' }),
      ...(p ? p.categories : []).map((c) => el('label', { class: 'check' },
        el('input', { type: 'checkbox', name: 'cat', value: c.name }), ` ${c.name} `, el('span', { class: 'muted', text: `(${c.questions})` }))));
  };
  packSel.addEventListener('change', renderCats);
  renderCats();
  const btn = el('button', { class: 'btn primary big', type: 'submit', id: 'create-btn' }, 'Create the room');
  show(el('form', {
    class: 'card setup', id: 'setup-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const cats = [...catBox.querySelectorAll('input[name=cat]:checked')].map((i) => i.value);
      const msg = {
        type: 'create_room',
        pack: packSel.value,
        count: Math.max(1, Math.min(50, Number(count.value) || 10)),
        seconds: Number(seconds.value),
        scoring: document.querySelector('input[name=scoring]:checked').value,
        auto_advance: auto.querySelector('input').checked,
      };
      if (cats.length) msg.categories = cats;
      btn.disabled = true;
      try {
        S.role = 'host';
        await request(msg);
      } catch (e) {
        S.role = null;
        err.textContent = e.code ? errorText(e) : 'Could not reach the server.';
      } finally {
        btn.disabled = false;
      }
    },
  },
  el('h1', { text: 'Host a game' }),
  el('label', { for: 'pack' }, 'Question pack'), packSel,
  catBox,
  el('div', { class: 'row' },
    el('div', {}, el('label', { for: 'count' }, 'Questions'), count),
    el('div', {}, el('label', { for: 'seconds' }, 'Time per question'), seconds)),
  scoring, auto, err, btn));
}

function joinUrl() {
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(location.hostname);
  const base = local && S.info && S.info.lan_urls && S.info.lan_urls[0] ? S.info.lan_urls[0] : `${location.origin}/`;
  return `${base}?room=${S.code}`;
}

function playerRow(p) {
  return el('li', { class: p.connected ? 'pchip' : 'pchip offline', dataset: { id: p.id } },
    el('span', { class: 'pname', text: p.name }),
    p.connected ? null : el('span', { class: 'tag', text: 'offline' }),
    el('button', {
      class: 'btn small ghost', 'aria-label': `Remove ${p.name}`,
      onclick: () => {
        if (confirm(`Remove ${p.name} from the game?`)) request({ type: 'kick', player_id: p.id }).catch((e) => toast(errorText(e)));
      },
    }, 'Remove'));
}

async function ensureInfo() {
  if (S.info) return;
  try { S.info = await (await fetch('/api/info')).json(); } catch { S.info = {}; }
}

async function renderHostLobby() {
  await ensureInfo();
  const url = joinUrl();
  $topInfo.textContent = `Room ${S.code}`;
  const lockBtn = el('button', {
    class: 'btn', id: 'lock-btn',
    onclick: () => request({ type: 'lock', locked: !S.lobby.locked }).catch((e) => toast(errorText(e))),
  }, S.lobby.locked ? 'Unlock joining' : 'Lock joining');
  const startBtn = el('button', {
    class: 'btn primary big', id: 'start-btn',
    onclick: () => request({ type: 'start' }).catch((e) => toast(e.code === 'bad_phase' ? 'Wait for at least one player to join.' : errorText(e))),
  }, 'Start the game');
  show(el('section', { class: 'lobby' },
    el('div', { class: 'lobby-join' },
      el('p', { class: 'muted', text: 'Join at' }),
      el('p', { class: 'url', id: 'join-url', text: url }),
      el('p', { class: 'muted', text: 'with the code' }),
      el('p', { class: 'code', id: 'room-code', 'aria-label': `Room code ${[...S.code].join(' ')}`, text: S.code }),
      el('img', { class: 'qr', id: 'qr', alt: `QR code for ${url}`, src: `/api/qr.svg?text=${encodeURIComponent(url)}`, width: 260, height: 260 })),
    el('div', { class: 'lobby-players card' },
      el('h2', {}, 'Players ', el('span', { id: 'player-count', class: 'count', text: String(S.lobby.count || 0) })),
      el('p', { id: 'lock-state', class: 'muted', text: S.lobby.locked ? 'Joining is locked.' : 'Joining is open.' }),
      el('ul', { id: 'players', class: 'players' }, (S.lobby.players || []).map(playerRow)),
      el('div', { class: 'row' }, lockBtn, startBtn),
      el('p', { class: 'muted small', text: `${S.total} questions · ${S.settings && S.settings.scoring === 'accuracy' ? 'accuracy' : 'classic'} scoring` }))));
}

function updateHostLobby() {
  const list = document.getElementById('players');
  if (!list) {
    renderHostLobby();
    return;
  }
  list.replaceChildren(...S.lobby.players.map(playerRow));
  document.getElementById('player-count').textContent = String(S.lobby.count);
  document.getElementById('lock-state').textContent = S.lobby.locked ? 'Joining is locked.' : 'Joining is open.';
  document.getElementById('lock-btn').textContent = S.lobby.locked ? 'Unlock joining' : 'Lock joining';
}

function updatePlayerStatus() {
  const n = document.getElementById('online-count');
  if (n) n.textContent = `${S.lobby.players.filter((p) => p.connected).length} online`;
}

function optionView(q, i, extra = {}) {
  return el('div', { class: `opt opt${i}`, ...extra },
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
  return code ? el('pre', { class: 'code-block' }, el('code', { text: code })) : null;
}

function hostControls(primaryLabel, primaryId) {
  return el('div', { class: 'host-controls' },
    el('button', { class: 'btn primary', id: primaryId, onclick: () => request({ type: 'next' }).catch((e) => toast(errorText(e))) }, primaryLabel),
    el('button', {
      class: 'btn ghost', id: 'end-btn',
      onclick: () => { if (confirm('End the game now and show the podium?')) request({ type: 'end' }).catch((e) => toast(errorText(e))); },
    }, 'End game'));
}

function renderHostQuestion() {
  const q = S.question;
  const cd = countdownView();
  show(el('section', { class: 'question host' },
    questionHeader(q),
    el('h1', { class: 'prompt', text: q.prompt }),
    codeView(q.code),
    el('div', { class: 'opts' }, q.options.map((_, i) => optionView(q, i))),
    el('div', { class: 'qfoot' },
      cd.num, cd.wrap,
      el('p', { class: 'answered', id: 'answered', 'aria-live': 'off', text: `${S.answered} of ${S.lobby.count || '?'} answered` }),
      el('span', { id: 'online-count', class: 'muted' })),
    hostControls('Close question', 'next-btn')));
  updatePlayerStatus();
  startCountdown(cd.num, cd.bar);
}

function updateAnsweredCount(n, total) {
  const a = document.getElementById('answered');
  if (a) a.textContent = `${n} of ${total} answered`;
}

function revealBody(rv, q, mine) {
  const max = Math.max(1, ...rv.counts);
  return [
    el('div', { class: 'opts reveal' }, q.options.map((_, i) => {
      const o = optionView(q, i, { 'aria-label': `${LETTERS[i]}: ${q.options[i]}${i === rv.correct ? ' (correct)' : ''}, ${rv.counts[i]} answers` });
      if (i === rv.correct) o.classList.add('correct');
      else o.classList.add('dim');
      if (mine === i) o.classList.add('mine');
      const fill = el('span', { class: 'bar-fill' });
      fill.style.width = `${(rv.counts[i] / max) * 100}%`;   // CSSOM: allowed by the CSP
      o.append(el('span', { class: 'bar' }, fill), el('span', { class: 'bar-n', text: String(rv.counts[i]) }));
      return o;
    })),
    el('div', { class: 'explain card' },
      el('h2', { text: 'Why' }),
      el('p', { class: 'expl', text: rv.explanation || '' }),
      rv.source && rv.source.category ? el('p', { class: 'source muted', text: `Source: ${rv.source.category}${rv.source.number ? ` #${rv.source.number}` : ''}${rv.source.title ? ` — ${rv.source.title}` : ''}` }) : null),
  ];
}

function renderHostReveal() {
  const q = S.question;
  const rv = S.reveal;
  if (!q || !rv) return;
  show(el('section', { class: 'question host revealed' },
    questionHeader(q),
    el('h1', { class: 'prompt', text: q.prompt }),
    codeView(q.code),
    ...revealBody(rv, q, null),
    el('p', { class: 'muted', text: `${rv.answered} of ${rv.players} answered` }),
    hostControls('Show leaderboard', 'next-btn')));
}

// ---------------------------------------------------------------- leaderboard & podium

function renderLeaderboard() {
  const lb = S.leaderboard;
  if (!lb) return;
  const isHost = S.role === 'host';
  const last = lb.index + 1 >= lb.total;
  const rows = lb.top.map((p) => el('li', { class: `lb-row${p.player_id === S.playerId ? ' me' : ''}`, dataset: { id: p.player_id } },
    el('span', { class: 'rank', text: String(p.rank) }),
    el('span', { class: 'pname', text: p.name }),
    el('span', { class: 'score', text: String(p.score) })));
  show(el('section', { class: 'leaderboard' },
    el('h1', { text: last ? 'Final standings' : `Leaderboard after ${lb.index + 1} of ${lb.total}` }),
    el('ol', { class: 'lb', id: 'leaderboard' }, rows),
    !isHost && S.result ? el('p', { class: 'me-line', text: `You: #${S.result.rank} of ${S.result.players}, ${S.result.score} points${S.result.gap_to_next > 0 ? ` — ${S.result.gap_to_next} behind the next player` : ''}` }) : null,
    isHost ? hostControls(last ? 'Show the podium' : 'Next question', 'next-btn') : el('p', { class: 'muted', text: last ? 'The podium is next…' : 'Get ready for the next question…' })));
  // FLIP: slide rows from where the same players stood before.
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

function renderPodium() {
  const go = S.gameOver;
  if (!go) return;
  const [first, second, third] = go.top;
  const step = (p, place) => p ? el('div', { class: `step p${place}` },
    el('span', { class: 'pname', text: p.name }),
    el('span', { class: 'score', text: `${p.score}` }),
    el('span', { class: 'place', text: String(p.rank) })) : el('div', { class: `step p${place} empty` });
  const rest = go.top.slice(3).map((p) => el('li', {}, el('span', { class: 'rank', text: `${p.rank}.` }), ` ${p.name} `, el('span', { class: 'muted', text: `${p.score}` })));
  const parts = [
    el('h1', { text: 'Podium' }),
    el('div', { class: 'podium', id: 'podium' }, step(second, 2), step(first, 1), step(third, 3)),
    rest.length ? el('ol', { class: 'rest', start: 4 }, rest) : null,
    el('p', { class: 'muted', text: `${go.questions} questions · ${go.players} players` }),
  ];
  if (S.role === 'player' && S.review) parts.push(reviewView(S.review));
  if (S.role === 'host') parts.push(el('a', { class: 'btn', href: '/', onclick: () => store.del(`quizd:host:${S.code}`) }, 'Host another game'));
  else parts.push(el('a', { class: 'btn', href: '/', onclick: () => store.del(`quizd:player:${S.code}`) }, 'Play another game'));
  show(el('section', { class: 'final' }, ...parts));
  if (S.role === 'player' && S.review) announce(`Game over. You finished number ${S.review.rank} with ${S.review.score} points.`);
}

function reviewView(rv) {
  return el('section', { class: 'review card', id: 'review' },
    el('h2', { text: `Your game: ${rv.correct} of ${rv.questions} correct, ${rv.score} points, best streak ${rv.best_streak}` }),
    rv.missed.length ? el('p', { text: 'Review what you missed:' }) : el('p', { text: 'You answered everything correctly. Impressive!' }),
    el('ol', { class: 'missed' }, rv.missed.map((m) => el('li', {},
      el('p', { class: 'mprompt', text: m.prompt }),
      codeView(m.code),
      el('p', {}, 'Answer: ', el('b', { text: `${LETTERS[m.correct]}. ${m.options[m.correct]}` })),
      el('p', { class: 'muted', text: m.chosen === null ? 'You did not answer.' : `You chose ${LETTERS[m.chosen]}. ${m.options[m.chosen]}` }),
      el('p', { class: 'expl', text: m.explanation }),
      m.source && m.source.category ? el('p', { class: 'source muted', text: `${m.source.category}${m.source.number ? ` #${m.source.number}` : ''}` }) : null))));
}

// ---------------------------------------------------------------- player

function renderPlayerLobby() {
  $topInfo.textContent = `${S.name || ''} · room ${S.code}`;
  show(el('section', { class: 'card center waiting' },
    el('h1', { text: `You're in, ${S.name}!` }),
    el('p', { text: 'Watch the big screen: the game starts soon.' }),
    el('p', { class: 'muted', id: 'lobby-count', text: `${S.lobby.count} player${S.lobby.count === 1 ? '' : 's'} in the room` }),
    S.lobby.locked ? el('p', { class: 'muted', text: 'The host has locked joining.' }) : null));
}

function renderPlayerWaitingNext() {
  show(el('section', { class: 'card center waiting' },
    el('h1', { text: `Welcome, ${S.name}!` }),
    el('p', { text: 'A question is running: you will play from the next one.' })));
}

function choose(i) {
  const q = S.question;
  if (!q || S.myAnswer !== null || S.pending !== null || S.phase !== 'question') return;
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
    ? el('p', { class: 'status ok', id: 'answer-status', role: 'status', text: `Answer ${LETTERS[S.myAnswer]} received. Waiting for the others…` })
    : S.pending !== null
      ? el('p', { class: 'status', id: 'answer-status', role: 'status', text: 'Sending…' })
      : el('p', { class: 'status muted', id: 'answer-status', text: 'Tap an answer or press 1–4.' });
  show(el('section', { class: 'question player' },
    questionHeader(q),
    el('div', { class: 'qtimer' }, cd.num, cd.wrap),
    el('h1', { class: 'prompt', text: q.prompt }),
    codeView(q.code),
    el('div', { class: 'opts answer' }, q.options.map((_, i) => {
      const chosen = S.myAnswer === i || S.pending === i;
      const b = el('button', {
        class: `opt opt${i}${chosen ? ' chosen' : ''}${locked && !chosen ? ' dim' : ''}`,
        'aria-pressed': chosen ? 'true' : 'false', disabled: locked,
        'aria-label': `${LETTERS[i]}: ${q.options[i]}`, onclick: () => choose(i),
      },
      el('span', { class: 'shape', 'aria-hidden': 'true', text: SHAPES[i] }),
      el('span', { class: 'letter', text: LETTERS[i] }),
      el('span', { class: 'otext', text: q.options[i] }));
      return b;
    })),
    status));
  startCountdown(cd.num, cd.bar);
}

function renderPlayerReveal() {
  const q = S.question;
  const rv = S.reveal;
  if (!q || !rv) return;
  const r = S.result;
  const head = r
    ? el('div', { class: `verdict ${r.correct ? 'right' : 'wrong'}`, id: 'verdict' },
      el('h1', { text: r.correct ? 'Correct!' : (r.chosen === null ? "Time's up" : 'Not this time') }),
      el('p', { class: 'points', text: r.correct ? `+${r.points} points` : '+0 points' }),
      el('p', {}, `Score ${r.score} · rank #${r.rank} of ${r.players}`, r.streak > 1 ? ` · streak ${r.streak} 🔥` : ''),
      r.rank > 1 ? el('p', { class: 'muted', text: `${r.gap_to_next} points behind the player ahead` }) : el('p', { class: 'muted', text: 'You are in the lead!' }))
    : el('p', { class: 'muted', text: 'Results are coming…' });
  show(el('section', { class: 'question player revealed' },
    head,
    questionHeader(q),
    el('p', { class: 'prompt small', text: q.prompt }),
    ...revealBody(rv, q, r ? r.chosen : S.myAnswer)));
}

// ---------------------------------------------------------------- keyboard

document.addEventListener('keydown', (ev) => {
  if (S.role !== 'player' || S.phase !== 'question') return;
  if (ev.target && (ev.target.tagName === 'INPUT' || ev.target.tagName === 'TEXTAREA')) return;
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
      show(el('section', { class: 'card center' }, el('p', { text: `Returning to room ${host}…` })));
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
      show(el('section', { class: 'card center' }, el('p', { text: `Rejoining room ${room}…` })));
      connect();
      return;
    }
    renderJoin(room, null);
    connect();
    return;
  }
  renderStart();
}

boot();
