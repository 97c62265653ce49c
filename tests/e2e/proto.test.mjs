// The web client's protocol module runs the same golden fixtures as the C
// codec: every valid frame passes, every invalid one fails with the error
// code its file name says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SOURCE_DIR } from './harness.mjs';
import { validateRequest, normalizeName, clockOffset, remainingMs } from '../../web-client/proto.js';

const dir = path.join(SOURCE_DIR, 'protocol/fixtures/c2s');
const read = (f) => readFileSync(f, 'utf8').replace(/\n$/, '');

test('valid fixtures are accepted', () => {
  const files = readdirSync(path.join(dir, 'valid')).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 15);
  for (const f of files) {
    const r = validateRequest(read(path.join(dir, 'valid', f)));
    assert.equal(r.ok, true, `${f}: ${r.code} ${r.message}`);
  }
});

test('invalid fixtures fail with the code in their name', () => {
  const files = readdirSync(path.join(dir, 'invalid')).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 25);
  for (const f of files) {
    const want = f.slice(f.indexOf('__') + 2, -5);
    const r = validateRequest(read(path.join(dir, 'invalid', f)));
    assert.equal(r.ok, false, `${f} was accepted`);
    assert.equal(r.code, want, `${f}: got ${r.code} (${r.message})`);
  }
});

test('nicknames follow the server rules', () => {
  assert.deepEqual(normalizeName('  Zoë 🐍  '), ['Zoë 🐍', null]);
  assert.equal(normalizeName('x'.repeat(25))[1], 'name is longer than 24 characters');
  assert.equal(normalizeName('🐍'.repeat(24))[1], null);
  assert.equal(normalizeName('a\u202eb')[1], 'name contains control characters');
  assert.equal(normalizeName('   ')[1], 'name is empty');
});

test('countdown follows the server clock', () => {
  const { offset, rtt } = clockOffset(1000, 1100, 50_000);
  assert.equal(rtt, 100);
  assert.equal(offset, 50_000 - 1050);
  // 3 s before the server's deadline, whatever the local clock says.
  assert.equal(remainingMs(10_000, 5_000, 2_000), 3_000);
  assert.equal(remainingMs(10_000, 5_000, 9_000), 0);
});
