// web-client/report.js in Node: ordinals, leaderboard movement, the podium
// split, the host report (hardest first, CSV safe against formulas) and the
// player's Markdown review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ordinal, lbMovement, podiumSplit, questionStats, questionsCsv, playersCsv, csvField, reviewMarkdown,
} from '../../web-client/report.js';

test('ordinals', () => {
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111, 112].map(ordinal),
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th', '112th']);
});

const row = (id, rank, score, correct) => ({ player_id: id, rank, name: `P${id}`, score, correct, connected: true });

test('leaderboard movement: places, gains and streaks against the previous board', () => {
  const first = lbMovement(null, { index: 0, top: [row(1, 1, 900, 1), row(2, 2, 0, 0), row(3, 2, 0, 0)] });
  assert.deepEqual(first.rows.map((r) => [r.move, r.gain, r.streak]), [[null, 900, 1], [null, 0, 0], [null, 0, 0]]);
  const second = lbMovement(first.snapshot, { index: 1, top: [row(2, 1, 1000, 1), row(3, 2, 980, 1), row(1, 3, 900, 1), row(4, 4, 0, 0)] });
  assert.deepEqual(second.rows.map((r) => [r.player_id, r.move, r.gain, r.streak]),
    [[2, 1, 1000, 1], [3, 0, 980, 1], [1, -2, 0, 0], [4, 'new', null, null]]);
  // A skipped board (reload, missed message): nothing is guessed.
  const skipped = lbMovement(first.snapshot, { index: 2, top: [row(1, 1, 1900, 2)] });
  assert.deepEqual(skipped.rows.map((r) => [r.move, r.gain, r.streak]), [[null, null, null]]);
  const third = lbMovement(second.snapshot, { index: 2, top: [row(2, 1, 2100, 2), row(1, 2, 1900, 2)] });
  assert.deepEqual(third.rows.map((r) => r.streak), [2, 1]);
});

test('the podium holds only players who scored; the rest follow', () => {
  const { podium, rest } = podiumSplit([row(1, 1, 500, 1), row(2, 2, 0, 0), row(3, 2, 0, 0), row(4, 4, 0, 0)]);
  assert.deepEqual(podium.map((p) => p.player_id), [1]);
  assert.deepEqual(rest.map((p) => p.player_id), [2, 3, 4]);
  assert.deepEqual(podiumSplit([]).podium, []);
});

test('report: hardest first, with the most chosen wrong option', () => {
  const stats = questionStats([
    { index: 0, prompt: 'easy', options: ['a', 'b', 'c'], correct: 0, counts: [3, 1, 0], players: 4 },
    { index: 1, prompt: 'hard', options: ['a', 'b', 'c', 'd'], correct: 2, counts: [1, 2, 1, 0], players: 4 },
    { index: 2, prompt: 'nobody', options: ['a', 'b'], correct: 1, counts: [0, 0], players: 4 },
  ]);
  assert.deepEqual(stats.map((s) => s.number), [3, 2, 1]);
  assert.deepEqual(stats[1].wrong, { letter: 'B', text: 'b', count: 2 });
  assert.equal(stats[1].share, 0.25);
  assert.equal(stats[0].wrong, null);
  const csv = questionsCsv(stats).split('\r\n');
  assert.equal(csv[0], 'question,category,prompt,answered,correct,share_correct,right_answer,most_chosen_wrong,wrong_count');
  assert.equal(csv[2], '2,,hard,4,1,0.25,c,B. b,2');
});

test('CSV fields: quoted when needed, formulas neutralised', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
  assert.equal(csvField('+1'), "'+1");
  assert.equal(csvField('@me'), "'@me");
  assert.equal(csvField(null), '');
  assert.equal(playersCsv([row(1, 1, 10, 1)], { 1: 3 }), 'rank,name,score,correct,streak\r\n1,P1,10,1,3\r\n');
});

test('the review as Markdown: number, every option, marks, source title, fenced code', () => {
  const md = reviewMarkdown({
    rank: 2, score: 1500, correct: 1, questions: 3, best_streak: 1,
    missed: [{
      index: 2, prompt: 'What is *x*?', code: 'print("```")', options: ['1', '2', '3'], correct: 1, chosen: 0,
      explanation: 'Because.', source: { category: 'Core', number: 4, title: 'Data model' }, category: 'Core',
    }, { index: 0, prompt: 'Q', code: null, options: ['a', 'b'], correct: 0, chosen: null, explanation: '', source: null }],
  }, { code: 'ABC234', name: 'Ada', players: 5 });
  assert.match(md, /Place: 2nd of 5/);
  assert.match(md, /## Question 3 \(Core\)/);
  assert.match(md, /What is \\\*x\\\*\?/);
  assert.match(md, /````\nprint\("```"\)\n````/);
  assert.match(md, /- A\. 1 \*\*\(your answer\)\*\*/);
  assert.match(md, /- B\. 2 \*\*\(right answer\)\*\*/);
  assert.match(md, /Source: Core #4 — Data model/);
  assert.match(md, /## Question 1\n[\s\S]*\(you did not answer\)/);
});
