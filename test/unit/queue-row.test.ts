import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QUEUE_FIGURES_LUA } from '../../src/collect/queue-figures-script.ts';
import {
  FULL_AT,
  FULL_FIELDS,
  HEADER_ARGS,
  MEMO_PARTS,
  QUEUE_ARGS,
  QUEUE_BITS,
  ROW_TAG,
  SAME_AT,
  SAME_FIELDS,
  SAME_UNCHANGED,
} from '../../src/collect/queue-row.ts';

// The script and queue-row.ts speak a positional protocol: a field added, dropped or moved on one
// side only shifts every figure after it without any error. These tests read the Lua source itself.

/** The script without its comments (no string in it contains `--`). */
const lua = QUEUE_FIGURES_LUA.replace(/--[^\n]*/g, '');

/** Numeric constants declared as `local A, B = 1, 2` at the start of a line. */
function constants(source: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const [, names = '', values = ''] of source.matchAll(/^local ([\w, ]+) = ([\d, ]+)$/gm)) {
    const keys = names.split(',').map((n) => n.trim());
    const numbers = values.split(',').map((v) => Number(v.trim()));
    assert.equal(keys.length, numbers.length, `local ${names} = ${values}`);
    keys.forEach((key, i) => found.set(key, numbers[i] as number));
  }
  return found;
}

/** The values of every `return {'<tag>', a, b, ...}` in the script; each must be a plain local. */
function returned(tag: string): string[][] {
  return [...lua.matchAll(new RegExp(`return \\{'${tag}',([^}]*)\\}`, 'g'))].map(([, list = '']) => {
    const names = list.split(',').map((v) => v.trim());
    for (const name of names)
      assert.match(
        name,
        /^[A-Za-z_]\w*$/,
        `'${tag}' row returns an expression (${name}), not a local named like its field`,
      );
    return names;
  });
}

describe('the collection script and queue-row.ts agree', () => {
  it("returns the full row's fields in FULL_FIELDS order", () => {
    const rows = returned(ROW_TAG.full);
    assert.equal(rows.length, 1, 'one place returns a full row');
    assert.deepEqual(rows[0], [...FULL_FIELDS]);
  });

  it("returns the 'same' row's fields in SAME_FIELDS order", () => {
    const rows = returned(ROW_TAG.same);
    assert.equal(rows.length, 1, "one place returns a 'same' row");
    assert.deepEqual(rows[0], [...SAME_FIELDS]);
  });

  it('answers an unchanged queue with nothing read again by SAME_UNCHANGED alone, in the function that makes the rows', () => {
    const body = /\nlocal function same\(([^)]*)\)\n([\s\S]*?)\nend\n/.exec(lua)?.[2] ?? '';
    // Nothing read again = none of the 'same' row's three parts was read (each part's first field is false).
    const parts = ['delayedDue', 'activeSampled', 'stalledCheckTtl'] as const;
    for (const part of parts) assert.ok(SAME_FIELDS.includes(part), part);
    assert.match(body, new RegExp(`\\n  if not \\(${parts.join(' or ')}\\) then return UNCHANGED end\\n`));
    assert.equal(constants(lua).get('UNCHANGED'), SAME_UNCHANGED);
    assert.match(body, /return \{'same', /);
  });

  it('tags its rows as ROW_TAG says', () => {
    for (const tag of Object.values(ROW_TAG)) assert.ok(lua.includes(`{'${tag}', `), `a row tagged '${tag}'`);
  });

  it('reads the header arguments in HEADER_ARGS order, then the packed queues as the one argument after them', () => {
    const header = [...lua.matchAll(/^local (\w+) = .*\bARGV\[(\d+)\]/gm)].map(([, name, at]) => [name, Number(at)]);
    assert.deepEqual(
      header,
      HEADER_ARGS.map((name, i) => [name, i + 1]),
    );
    const numbers = constants(lua);
    assert.equal(numbers.get('HEADER_ARGS'), HEADER_ARGS.length);
    assert.match(lua, /^local packed, at = ARGV\[HEADER_ARGS \+ 1\] or '', 1\nwhile at <= #packed do\n/m);
    assert.doesNotMatch(lua, /ARGV\[i/, 'no argument per queue');
  });

  it("reads each queue's packed fields in QUEUE_ARGS order, one length-prefixed field after another", () => {
    const fields = [...lua.matchAll(/^ {2}(\w+), at = field\(packed, at\)$/gm)].map(([, name]) => name);
    assert.deepEqual(fields, [...QUEUE_ARGS]);
    assert.match(lua, new RegExp(`^ {2}local ${QUEUE_ARGS.join(', ')}$`, 'm'));
    // The memo's parts, split by newlines (as `\n` in the Lua source), the last taking the rest.
    const split = `    local ${MEMO_PARTS.join(', ')} = string.match(memo, '^([^\\n]*)\\n([^\\n]*)\\n(.*)$')\n`;
    assert.ok(lua.includes(split), split);
  });

  it("gives the bits of a queue's `bits` argument the values of QUEUE_BITS", () => {
    const numbers = constants(lua);
    for (const [name, value] of Object.entries(QUEUE_BITS)) assert.equal(numbers.get(name), value, name);
  });

  it('computes field positions once, after the tag', () => {
    FULL_FIELDS.forEach((name, i) => assert.equal(FULL_AT[name], i + 1));
    SAME_FIELDS.forEach((name, i) => assert.equal(SAME_AT[name], i + 1));
  });
});
