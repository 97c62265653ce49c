// web-client/report.js in Node: ordinals, leaderboard movement, the podium
// split, the host report (hardest first, CSV safe against formulas) and the
// player's Markdown review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ordinal, lbRows, podiumSplit, questionStats, questionsCsv, playersCsv, csvField, reviewMarkdown,
} from '../../web-client/report.js';

test('ordinals', () => {
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111, 112].map(ordinal),
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th', '112th']);
});

const row = (id, rank, score, correct, more = {}) => ({ player_id: id, rank, name: `P${id}`, score, correct, connected: true, ...more });

test('leaderboard rows: places, gains and streaks from the server\'s entries', () => {
  const first = lbRows({ index: 0, top: [row(1, 1, 900, 1, { prev_rank: null, gained: 900, streak: 1 }), row(2, 2, 0, 0, { prev_rank: null, gained: 0, streak: 0 })] });
  assert.deepEqual(first.map((r) => [r.move, r.gain, r.streak]), [[null, 900, 1], [null, 0, 0]]);
  const second = lbRows({ index: 1, top: [
    row(2, 1, 1000, 1, { prev_rank: 2, gained: 1000, streak: 1 }), row(1, 2, 900, 1, { prev_rank: 1, gained: 0, streak: 0 }),
    row(3, 3, 0, 0, { prev_rank: 3, gained: 0, streak: 0 }), row(4, 4, 0, 0, { prev_rank: null, gained: 0, streak: 0 })] });
  assert.deepEqual(second.map((r) => [r.player_id, r.move, r.gain, r.streak]),
    [[2, 1, 1000, 1], [1, -1, 0, 0], [3, 0, 0, 0], [4, 'new', 0, 0]]);
});

test('the podium holds only players who scored; the rest follow', () => {
  const { podium, rest } = podiumSplit([row(1, 1, 500, 1), row(2, 2, 0, 0), row(3, 2, 0, 0), row(4, 4, 0, 0)]);
  assert.deepEqual(podium.map((p) => p.player_id), [1]);
  assert.deepEqual(rest.map((p) => p.player_id), [2, 3, 4]);
  assert.deepEqual(podiumSplit([]).podium, []);
});

test('report: the server\'s rows, with the most chosen wrong option', () => {
  const stats = questionStats([
    { index: 1, prompt: 'hard', options: ['a', 'b', 'c', 'd'], correct: 2, counts: [1, 2, 1, 0], answered: 4, answerable: 5, correct_count: 1, share_correct: 0.2, wrong: 1 },
    { index: 0, prompt: 'easy', options: ['a', 'b', 'c'], correct: 0, counts: [3, 0, 0], answered: 3, answerable: 4, correct_count: 3, share_correct: 0.75, wrong: null },
  ]);
  assert.deepEqual(stats.map((s) => s.number), [2, 1]);
  assert.deepEqual(stats[0].wrong, { letter: 'B', text: 'b', count: 2 });
  assert.equal(stats[0].correctText, 'c');
  assert.equal(stats[1].wrong, null);
  const csv = questionsCsv(stats).split('\r\n');
  assert.equal(csv[0], 'question,category,prompt,answered,could_answer,correct,share_correct,right_answer,most_chosen_wrong,wrong_count');
  assert.equal(csv[1], '2,,hard,4,5,1,0.20,c,B. b,2');
});

test('CSV fields: quoted when needed, formulas neutralised', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
  assert.equal(csvField('+1'), "'+1");
  assert.equal(csvField('@me'), "'@me");
  assert.equal(csvField(null), '');
  assert.equal(playersCsv([row(1, 1, 10, 1, { streak: 1, best_streak: 3 })]), 'rank,name,score,correct,streak,best_streak\r\n1,P1,10,1,1,3\r\n');
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
