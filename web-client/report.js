// Pure helpers behind the leaderboard, podium, host report and review
// download: no DOM, so Node tests them directly (tests/e2e/report.test.mjs).
// Everything here works only from data the client has already received.

export const LETTERS = ['A', 'B', 'C', 'D'];

export function ordinal(n) {
  const v = n % 100;
  if (v >= 11 && v <= 13) return `${n}th`;
  return `${n}${{ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th'}`;
}

export function fmt(n) {
  return Number(n || 0).toLocaleString('en-US');
}

// Leaderboard movement. `prev` is the snapshot returned for the previous
// leaderboard ({index, rows: {id: {rank, score, correct, streak}}}) or null.
// Returns {rows, snapshot}: each row gets
//   move:   null (unknown), 'new' (entered the top list), or places gained (+up/-down/0),
//   gain:   points gained since the previous leaderboard, or null if unknown,
//   streak: correct answers in a row, or null if it cannot be derived.
// The top list holds at most 10 players: someone who was outside it has no
// previous rank, score or streak the client could know.
export function lbMovement(prev, lb) {
  const known = prev && prev.index === lb.index - 1 ? prev.rows : null;
  const first = lb.index === 0;
  const rows = lb.top.map((p) => {
    const before = known ? known[p.player_id] : undefined;
    let move = null;
    let gain = null;
    let streak = null;
    if (first) {
      gain = p.score;
      streak = p.correct > 0 ? 1 : 0;
    } else if (before) {
      move = before.rank - p.rank;
      gain = p.score - before.score;
      if (before.streak !== null && before.streak !== undefined) {
        streak = p.correct > before.correct ? before.streak + 1 : 0;
      }
    } else if (known) {
      move = 'new';
    }
    return { ...p, move, gain, streak };
  });
  const snapshot = { index: lb.index, rows: {} };
  for (const r of rows) snapshot.rows[r.player_id] = { rank: r.rank, score: r.score, correct: r.correct, streak: r.streak };
  return { rows, snapshot };
}

// The podium holds the first three places of players who scored; everyone
// else in the top list (including 0-point players) is listed below it.
export function podiumSplit(top) {
  const podium = top.filter((p) => p.rank <= 3 && p.score > 0).slice(0, 3);
  const ids = new Set(podium.map((p) => p.player_id));
  return { podium, rest: top.filter((p) => !ids.has(p.player_id)) };
}

// Per question: share correct and the most chosen wrong option, hardest first
// (lowest share; ties keep question order).
export function questionStats(hist) {
  return hist.map((h) => {
    const counts = h.counts || [];
    const total = counts.reduce((a, b) => a + b, 0);
    let wrong = null;
    counts.forEach((n, i) => {
      if (i !== h.correct && n > 0 && (wrong === null || n > counts[wrong])) wrong = i;
    });
    return {
      number: h.index + 1,
      prompt: h.prompt,
      category: h.category || '',
      answered: total,
      players: h.players ?? total,
      correctCount: counts[h.correct] || 0,
      share: total ? (counts[h.correct] || 0) / total : 0,
      correctText: (h.options || [])[h.correct] ?? '',
      wrong: wrong === null ? null : { letter: LETTERS[wrong], text: (h.options || [])[wrong] ?? '', count: counts[wrong] },
    };
  }).sort((a, b) => a.share - b.share || a.number - b.number);
}

// One CSV field. Names and prompts come from other people: a leading = + - @
// would run as a formula in a spreadsheet, so such fields get a quote mark.
export function csvField(v) {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(rows) {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function questionsCsv(stats) {
  return csv([['question', 'category', 'prompt', 'answered', 'correct', 'share_correct', 'right_answer', 'most_chosen_wrong', 'wrong_count'],
    ...stats.map((s) => [s.number, s.category, s.prompt, s.answered, s.correctCount, s.share.toFixed(2), s.correctText,
      s.wrong ? `${s.wrong.letter}. ${s.wrong.text}` : '', s.wrong ? s.wrong.count : 0])]);
}

export function playersCsv(top, streaks = {}) {
  return csv([['rank', 'name', 'score', 'correct', 'streak'],
    ...top.map((p) => [p.rank, p.name, p.score, p.correct ?? '', streaks[p.player_id] ?? ''])]);
}

// Text from the pack shown as text: inline markup escaped, and a leading #
// (a heading) too.
function mdEscape(s) {
  return String(s ?? '').replace(/([\\`*_[\]<>|])/g, '\\$1').replace(/^(\s*)#/gm, '$1\\#');
}

function fence(code) {
  const longest = Math.max(2, ...(code.match(/`+/g) || []).map((m) => m.length));
  const f = '`'.repeat(longest + 1);
  return `${f}\n${code}\n${f}`;
}

function sourceText(src) {
  if (!src || !src.category) return '';
  return `${src.category}${src.number ? ` #${src.number}` : ''}${src.title ? ` — ${src.title}` : ''}`;
}
export { sourceText };

// The player's review as Markdown: every missed question with its number,
// all options (right one and the player's marked), explanation and source.
export function reviewMarkdown(rv, meta = {}) {
  const lines = [`# quizd review${meta.code ? ` — room ${meta.code}` : ''}`, ''];
  if (meta.name) lines.push(`Player: ${mdEscape(meta.name)}`);
  lines.push(`Place: ${ordinal(rv.rank)}${meta.players ? ` of ${meta.players}` : ''}`,
    `Score: ${rv.score} points, ${rv.correct} of ${rv.questions} correct, best streak ${rv.best_streak}`, '');
  if (!rv.missed.length) lines.push('Every question answered correctly.', '');
  for (const m of rv.missed) {
    lines.push(`## Question ${m.index + 1}${m.category ? ` (${mdEscape(m.category)})` : ''}`, '', mdEscape(m.prompt), '');
    if (m.code) lines.push(fence(m.code), '');
    m.options.forEach((o, i) => {
      const marks = [i === m.correct ? 'right answer' : null, i === m.chosen ? 'your answer' : null].filter(Boolean);
      lines.push(`- ${LETTERS[i]}. ${mdEscape(o)}${marks.length ? ` **(${marks.join(', ')})**` : ''}`);
    });
    if (m.chosen === null || m.chosen === undefined) lines.push('- (you did not answer)');
    lines.push('');
    if (m.explanation) lines.push(`Why: ${mdEscape(m.explanation)}`, '');
    const src = sourceText(m.source);
    if (src) lines.push(`Source: ${mdEscape(src)}`, '');
  }
  return lines.join('\n');
}
