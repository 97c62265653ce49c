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

// Leaderboard rows from the server's ranked entries (PROTOCOL.md): each
// gets
//   move:   null (first question), 'new' (never ranked before), or places
//           gained since the previous question (+up/-down/0),
//   gain:   points gained this round,
//   streak: correct answers in a row.
// The server sends them, so a reload or a skipped board changes nothing.
export function lbRows(lb) {
  return lb.top.map((p) => {
    let move = null;
    if (p.prev_rank !== null && p.prev_rank !== undefined) move = p.prev_rank - p.rank;
    else if (lb.index > 0) move = 'new';
    return { ...p, move, gain: p.gained ?? null, streak: p.streak ?? null };
  });
}

// The podium holds the first three places of players who scored; everyone
// else in the top list (including 0-point players) is listed below it.
export function podiumSplit(top) {
  const podium = top.filter((p) => p.rank <= 3 && p.score > 0).slice(0, 3);
  const ids = new Set(podium.map((p) => p.player_id));
  return { podium, rest: top.filter((p) => !ids.has(p.player_id)) };
}

// The rows of the server's report (already hardest first): share correct
// of those who could answer, and the most chosen wrong option.
export function questionStats(rows) {
  return rows.map((r) => ({
    number: r.index + 1,
    prompt: r.prompt,
    category: r.category || '',
    answered: r.answered,
    answerable: r.answerable,
    correctCount: r.correct_count,
    share: r.share_correct,
    correctText: (r.options || [])[r.correct] ?? '',
    wrong: r.wrong === null || r.wrong === undefined ? null
      : { letter: LETTERS[r.wrong], text: (r.options || [])[r.wrong] ?? '', count: r.counts[r.wrong] },
  }));
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
  return csv([['question', 'category', 'prompt', 'answered', 'could_answer', 'correct', 'share_correct', 'right_answer', 'most_chosen_wrong', 'wrong_count'],
    ...stats.map((s) => [s.number, s.category, s.prompt, s.answered, s.answerable, s.correctCount, s.share.toFixed(2), s.correctText,
      s.wrong ? `${s.wrong.letter}. ${s.wrong.text}` : '', s.wrong ? s.wrong.count : 0])]);
}

export function playersCsv(players) {
  return csv([['rank', 'name', 'score', 'correct', 'streak', 'best_streak'],
    ...players.map((p) => [p.rank, p.name, p.score, p.correct, p.streak, p.best_streak])]);
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
