/**
 * `JSON.stringify(value, null, 2)` of a plain object, in pieces: each top-level field, and each
 * element of a top-level array, is its own string. Joined, the pieces are byte for byte what
 * `JSON.stringify(value, null, 2)` returns. `check --json` at 10,000 queues writes a 15 MB report:
 * whole, its string and the buffer the write copies it into were both alive at the command's peak;
 * in pieces, only a piece and a batch of them are.
 *
 * For plain data (the report: objects, arrays, strings, numbers, booleans, null): fields whose
 * value JSON omits (undefined, a function, a symbol) are left out and such array elements become
 * `null`, as JSON.stringify does; an element is indented by re-indenting its own JSON, which is
 * safe because JSON escapes every line break inside a string.
 */
export function* jsonPieces(value: Readonly<Record<string, unknown>>): Generator<string> {
  let fields = 0;
  for (const [key, field] of Object.entries(value)) {
    const head = `${fields === 0 ? '{' : ','}\n  ${JSON.stringify(key)}: `;
    if (Array.isArray(field) && field.length > 0) {
      fields += 1;
      yield `${head}[`;
      for (let index = 0; index < field.length; index += 1) {
        const element = JSON.stringify(field[index], null, 2) ?? 'null';
        yield `${index === 0 ? '' : ','}\n    ${indented(element, '    ')}`;
      }
      yield '\n  ]';
      continue;
    }
    const text = JSON.stringify(field, null, 2) as string | undefined;
    if (text === undefined) continue;
    fields += 1;
    yield head + indented(text, '  ');
  }
  yield fields === 0 ? '{}' : '\n}';
}

/** The pieces joined into strings of about `size` characters (fewer writes than one per piece). */
export function* batched(pieces: Iterable<string>, size = 65_536): Generator<string> {
  let batch = '';
  for (const piece of pieces) {
    batch += piece;
    if (batch.length >= size) {
      yield batch;
      batch = '';
    }
  }
  if (batch !== '') yield batch;
}

function indented(text: string, pad: string): string {
  return text.includes('\n') ? text.replaceAll('\n', `\n${pad}`) : text;
}
