// The wire protocol as the browser sees it (protocol/PROTOCOL.md). Pure
// module: no DOM, so Node runs the same golden fixtures as the C codec.

export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const MAX_FRAME = 4096;
export const NAME_MAX = 24;

const TYPES = ['create_room', 'host_resume', 'join', 'start', 'answer', 'next', 'kick', 'lock', 'end', 'ping', 'play_again'];

// Friendly text for every error code the server sends.
export const ERROR_TEXT = {
  bad_json: 'The app sent something the server could not read. Reload the page.',
  bad_message: 'The request was not valid.',
  unknown_type: 'The server does not know that request. Reload the page.',
  room_not_found: 'No game with that code. Check the code on the big screen.',
  name_taken: 'Someone in this game already uses that name. Pick another.',
  name_invalid: 'That name cannot be used. Use 1 to 24 letters, digits or emoji.',
  room_full: 'This game is full.',
  room_locked: 'The host has locked this game. Ask them to unlock it.',
  not_host: 'Only the host can do that.',
  bad_phase: 'That is not possible right now.',
  too_late: 'Too late: time was up for this question.',
  already_answered: 'You already answered this question.',
  bad_choice: 'That option does not exist.',
  bad_token: 'Your seat in this game is no longer valid.',
  rate_limited: 'Slow down a little and try again.',
};

export function errorText(err) {
  if (!err) return 'Something went wrong.';
  const base = ERROR_TEXT[err.code] || 'Something went wrong.';
  // bad_message details name the field: useful to show.
  return err.code === 'bad_message' && err.message ? `${base} (${err.message})` : base;
}

function codePoints(s) {
  return Array.from(s).length;
}

const SPACE = /^[\s\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+|[\s\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+$/g;
// Control characters, C1 controls, bidi overrides and line separators.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

// Same rules as the server's nick_normalize: returns [trimmed, null] or [null, error].
export function normalizeName(raw) {
  if (typeof raw !== 'string') return [null, 'name is missing'];
  const name = raw.replace(SPACE, '');
  if (!name) return [null, 'name is empty'];
  if (FORBIDDEN.test(name)) return [null, 'name contains control characters'];
  if (codePoints(name) > NAME_MAX) return [null, 'name is longer than 24 characters'];
  return [name, null];
}

export function normalizeCode(raw) {
  return String(raw || '').trim().toUpperCase().replace(/\s+/g, '');
}

export function isValidCode(code) {
  return code.length === 6 && [...code].every((c) => CODE_ALPHABET.includes(c));
}

const isInt = (v) => Number.isInteger(v);
const isToken = (v) => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v);

function err(code, message) {
  return { ok: false, code, message };
}

// Validates a client->server frame exactly as the server does. Returns
// {ok:true, msg} or {ok:false, code, message}.
export function validateRequest(text) {
  if (typeof text !== 'string') text = JSON.stringify(text);
  if (new TextEncoder().encode(text).length > MAX_FRAME) return err('bad_message', 'frame too long');
  let m;
  try {
    m = JSON.parse(text);
  } catch {
    return err('bad_json', 'not valid JSON');
  }
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return err('bad_json', 'frame must be a JSON object');
  // JSON.parse keeps the last duplicate: the server rejects duplicates.
  if (hasDuplicateKeys(text)) return err('bad_json', 'duplicate object key');
  if ('req' in m && !isInt(m.req)) return err('bad_message', 'req: must be an integer');
  if (typeof m.type !== 'string') return err('bad_message', 'type: required string is missing');
  if (!TYPES.includes(m.type)) return err('unknown_type', 'type: unknown message type');
  const opt = (k) => m[k] !== undefined;
  switch (m.type) {
    case 'create_room':
    case 'play_again': {
      if (opt('pack') && typeof m.pack !== 'string') return err('bad_message', 'pack: must be a string');
      if (opt('categories') && m.categories !== null) {
        if (!Array.isArray(m.categories)) return err('bad_message', 'categories: must be an array of strings');
        if (m.categories.some((c) => typeof c !== 'string' || !c)) return err('bad_message', 'categories: must be non-empty strings');
      }
      if (opt('count') && !(isInt(m.count) && m.count >= 1 && m.count <= 50)) return err('bad_message', 'count: must be between 1 and 50');
      if (opt('seconds') && !(isInt(m.seconds) && (m.seconds === 0 || (m.seconds >= 5 && m.seconds <= 240))))
        return err('bad_message', 'seconds: must be 0 or 5 to 240');
      if (opt('max_players') && !(isInt(m.max_players) && m.max_players >= 1 && m.max_players <= 100000))
        return err('bad_message', 'max_players: must be between 1 and 100000');
      if (opt('scoring') && !['classic', 'accuracy'].includes(m.scoring)) return err('bad_message', 'scoring: must be "classic" or "accuracy"');
      if (opt('auto_advance') && typeof m.auto_advance !== 'boolean') return err('bad_message', 'auto_advance: must be a boolean');
      return { ok: true, msg: m };
    }
    case 'host_resume': {
      const c = checkCode(m);
      if (c) return c;
      if (typeof m.host_token !== 'string') return err('bad_message', 'host_token: required string is missing');
      if (!isToken(m.host_token)) return err('bad_token', 'host_token: unknown token');
      return { ok: true, msg: m };
    }
    case 'join': {
      const c = checkCode(m);
      if (c) return c;
      if (opt('token') && m.token !== null) {
        if (typeof m.token !== 'string') return err('bad_message', 'token: must be a string');
        if (!isToken(m.token)) return err('bad_token', 'token: unknown token');
        if (!opt('name') || m.name === null) return { ok: true, msg: m };
      }
      if (typeof m.name !== 'string') return err('bad_message', 'name: required string is missing');
      const [, e] = normalizeName(m.name);
      if (e) return err('name_invalid', e);
      return { ok: true, msg: m };
    }
    case 'answer':
      if (!(isInt(m.index) && m.index >= 0 && m.index <= 50)) return err('bad_message', 'index: must be between 0 and 50');
      if (!isInt(m.choice)) return err('bad_message', 'choice: required integer is missing');
      return { ok: true, msg: m };
    case 'kick':
      if (!(isInt(m.player_id) && m.player_id >= 1)) return err('bad_message', 'player_id: must be a positive integer');
      return { ok: true, msg: m };
    case 'lock':
      if (typeof m.locked !== 'boolean') return err('bad_message', 'locked: required boolean is missing');
      return { ok: true, msg: m };
    case 'ping':
      if (opt('t') && m.t !== null && !(typeof m.t === 'number' && Number.isFinite(m.t))) return err('bad_message', 't: must be a number');
      return { ok: true, msg: m };
    default:
      return { ok: true, msg: m };
  }
}

function checkCode(m) {
  if (typeof m.code !== 'string') return err('bad_message', 'code: required string is missing');
  const c = normalizeCode(m.code);
  if (!isValidCode(c) || m.code.trim() !== m.code) return err('room_not_found', 'no room with that code');
  return null;
}

// Scans object literals for a key repeated at the same depth (JSON.parse
// silently keeps the last one; the server refuses them).
function hasDuplicateKeys(text) {
  let dup = false;
  const stack = [];
  let i = 0;
  let expectKey = false;
  while (i < text.length && !dup) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = text.slice(i, j + 1);
      if (expectKey && stack.length && stack[stack.length - 1]) {
        const keys = stack[stack.length - 1];
        if (keys.has(s)) dup = true;
        keys.add(s);
      }
      expectKey = false;
      i = j + 1;
      continue;
    }
    if (ch === '{') { stack.push(new Set()); expectKey = true; }
    else if (ch === '[') { stack.push(null); }
    else if (ch === '}' || ch === ']') { stack.pop(); }
    else if (ch === ',') { expectKey = stack.length > 0 && stack[stack.length - 1] !== null; }
    i++;
  }
  return dup;
}

// Clock offset from a ping/pong (NTP-style, symmetric delay assumed).
export function clockOffset(sentAt, receivedAt, serverNow) {
  const rtt = Math.max(0, receivedAt - sentAt);
  return { offset: serverNow - (sentAt + rtt / 2), rtt };
}

// Remaining milliseconds of a question at local time `now`, given the offset.
export function remainingMs(deadlineMs, offset, now = Date.now()) {
  return Math.max(0, deadlineMs - (now + offset));
}
