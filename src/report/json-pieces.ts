/** What JSON.stringify([[…]], null, 2) writes around the inner array's elements. */
const WRAPPER_HEAD = '[\n  [\n    ';
const WRAPPER_TAIL = '\n  ]\n]';

/**
 * `JSON.stringify(value, null, 2)` of a plain object, in pieces: each top-level field, and each
 * run of `elementsPerPiece` elements of a top-level array, is its own string. Joined, the pieces
 * are byte for byte what `JSON.stringify(value, null, 2)` returns. `check --json` at 10,000 queues
 * writes a 15 MB report: whole, its string and the buffer the write copies it into were both alive
 * at the command's peak; in pieces, only a piece and a batch of them are. Pieces and batches stay
 * well under 128 KB: a larger string goes to V8's large-object space, freed only by a full GC.
 *
 * For plain data (the report: objects, arrays, strings, numbers, booleans, null): fields whose
 * value JSON omits (undefined, a function, a symbol) are left out and such array elements become
 * `null`, as JSON.stringify does. A top-level field's JSON is re-indented, which is safe because
 * JSON escapes every line break inside a string.
 */
export function* jsonPieces(value: Readonly<Record<string, unknown>>, elementsPerPiece = 16): Generator<string> {
  let fields = 0;
  for (const [key, field] of Object.entries(value)) {
    const head = `${fields === 0 ? '{' : ','}\n  ${JSON.stringify(key)}: `;
    if (Array.isArray(field) && field.length > 0) {
      fields += 1;
      yield `${head}[\n    `;
      for (let start = 0; start < field.length; start += elementsPerPiece) {
        // `[[a, b]]` at indent 2 puts a and b at the depth they have in the report (4 spaces), each
        // on its own lines, joined by ",\n    ": the text between the wrapper's brackets is them.
        const text = JSON.stringify([field.slice(start, start + elementsPerPiece)], null, 2);
        yield `${start === 0 ? '' : ',\n    '}${text.slice(WRAPPER_HEAD.length, -WRAPPER_TAIL.length)}`;
      }
      yield '\n  ]';
      continue;
    }
    const text = JSON.stringify(field, null, 2) as string | undefined;
    if (text === undefined) continue;
    fields += 1;
    yield head + text.replaceAll('\n', '\n  ');
  }
  yield fields === 0 ? '{}' : '\n}';
}

/** The pieces joined into strings of about `size` characters (fewer writes than one per piece). */
export function* batched(pieces: Iterable<string>, size = 32_768): Generator<string> {
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
