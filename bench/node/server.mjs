// The usual alternative: quizd's hot path written the way most teams would,
// on Node.js with the `ws` package. Same wire protocol for what the benchmark
// uses (create_room, join, start/next, answer, question, answer_ack, reveal,
// result, leaderboard, game_over). Broadcasts are stringified once.
import { WebSocketServer } from 'ws';
import { randomBytes } from 'node:crypto';

const port = Number(process.argv[2] || 0);
const wss = new WebSocketServer({ port, host: '127.0.0.1', path: '/ws', maxPayload: 4096 });
const rooms = new Map();
const ALPHA = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

function code() {
  let c;
  do c = Array.from(randomBytes(6), (b) => ALPHA[b % ALPHA.length]).join(''); while (rooms.has(c));
  return c;
}

function broadcast(room, msg) {
  const s = JSON.stringify(msg);
  for (const p of room.players.values()) if (p.ws) p.ws.send(s);
  if (room.host) room.host.send(s);
}

function openQuestion(room) {
  room.qi++;
  room.phase = 'question';
  room.opened = Date.now();
  room.answered = 0;
  room.counts = [0, 0, 0, 0];
  const q = { prompt: `Question ${room.qi + 1}: which option is right?`, options: ['right', 'wrong a', 'wrong b', 'wrong c'], correct: 0 };
  room.q = q;
  room.deadline = room.opened + room.seconds * 1000;
  broadcast(room, {
    type: 'question', index: room.qi, total: room.count, category: 'Bench', prompt: q.prompt, code: null,
    options: q.options, time_ms: room.seconds * 1000, deadline_ms: room.deadline, now_ms: Date.now(),
  });
  clearTimeout(room.timer);
  room.timer = setTimeout(() => closeQuestion(room), room.seconds * 1000 + 1);
}

function closeQuestion(room) {
  if (room.phase !== 'question') return;
  clearTimeout(room.timer);
  room.phase = 'reveal';
  const ranking = [...room.players.values()].sort((a, b) => b.score - a.score || a.time - b.time || a.id - b.id);
  ranking.forEach((p, i) => { p.rank = i + 1; p.gap = i ? ranking[i - 1].score - p.score : 0; });
  room.ranking = ranking;
  broadcast(room, { type: 'reveal', index: room.qi, correct: 0, counts: room.counts, explanation: 'Because.', source: { category: 'Bench', number: 1, title: null } });
  for (const p of room.players.values()) {
    if (!p.ws) continue;
    const a = p.answers[room.qi];
    p.ws.send(JSON.stringify({ type: 'result', index: room.qi, correct: !!(a && a.correct), points: a ? a.points : 0, streak: p.streak, score: p.score, rank: p.rank, gap_to_next: p.gap }));
  }
}

function next(room) {
  if (room.phase === 'question') return closeQuestion(room);
  if (room.phase === 'reveal') {
    room.phase = 'leaderboard';
    const top = room.ranking.slice(0, 10).map((p) => ({ rank: p.rank, player_id: p.id, name: p.name, score: p.score }));
    return broadcast(room, { type: 'leaderboard', index: room.qi, total: room.count, top, players: room.players.size });
  }
  if (room.phase === 'leaderboard') {
    if (room.qi + 1 >= room.count) {
      room.phase = 'finished';
      return broadcast(room, { type: 'game_over', top: room.ranking.slice(0, 10).map((p) => ({ rank: p.rank, player_id: p.id, name: p.name, score: p.score })) });
    }
    return openQuestion(room);
  }
}

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    let m;
    try { m = JSON.parse(data); } catch { return ws.send(JSON.stringify({ type: 'error', code: 'bad_json' })); }
    const reply = (o) => ws.send(JSON.stringify(m.req !== undefined ? { ...o, req: m.req } : o));
    switch (m.type) {
      case 'create_room': {
        const room = { code: code(), host: ws, players: new Map(), names: new Set(), phase: 'lobby', qi: -1, count: m.count || 10, seconds: m.seconds || 20, max: m.max_players || 500, nextId: 1 };
        rooms.set(room.code, room);
        ws.room = room;
        return reply({ type: 'room_created', code: room.code, host_token: randomBytes(16).toString('hex'), settings: { count: room.count } });
      }
      case 'join': {
        const room = rooms.get(String(m.code || '').toUpperCase());
        if (!room) return reply({ type: 'error', code: 'room_not_found' });
        const key = String(m.name).toLowerCase();
        if (room.names.has(key)) return reply({ type: 'error', code: 'name_taken' });
        if (room.players.size >= room.max) return reply({ type: 'error', code: 'room_full' });
        const p = { id: room.nextId++, name: String(m.name), ws, score: 0, streak: 0, time: 0, answers: [] };
        room.names.add(key);
        room.players.set(p.id, p);
        ws.room = room;
        ws.player = p;
        return reply({ type: 'joined', player_id: p.id, token: randomBytes(16).toString('hex'), name: p.name, code: room.code });
      }
      case 'start':
      case 'next': {
        const room = ws.room;
        if (!room || room.host !== ws) return reply({ type: 'error', code: 'not_host' });
        reply({ type: 'ack' });
        return m.type === 'start' ? openQuestion(room) : next(room);
      }
      case 'answer': {
        const room = ws.room;
        const p = ws.player;
        if (!room || !p || room.phase !== 'question' || m.index !== room.qi) return reply({ type: 'error', code: 'bad_phase' });
        if (p.answers[room.qi]) return reply({ type: 'error', code: 'already_answered' });
        const t = Date.now() - room.opened;
        const correct = room.q.options.indexOf('right') === m.choice;
        let points = 0;
        if (correct) {
          p.streak++;
          points = (t < 500 ? 1000 : Math.round(1000 * (1 - t / (room.seconds * 1000) / 2))) + Math.min(100 * (p.streak - 1), 500);
          p.time += t;
        } else p.streak = 0;
        p.score += points;
        p.answers[room.qi] = { choice: m.choice, correct, points };
        room.counts[m.choice]++;
        reply({ type: 'answer_ack', index: m.index, choice: m.choice });
        if (++room.answered === room.players.size) closeQuestion(room);
        return;
      }
      case 'ping':
        return reply({ type: 'pong', t: m.t ?? null, now_ms: Date.now() });
      default:
        return reply({ type: 'error', code: 'unknown_type' });
    }
  });
});

wss.on('listening', () => {
  console.log(`node-ws listening port=${wss.address().port}`);
});
process.on('SIGTERM', () => { wss.close(); process.exit(0); });
