/**
 * Whether a regular expression nests quantifiers (`(a+)+`, `(\w*x?)*`,
 * `(a|aa){2,}`): the shape that makes a backtracking engine take exponential
 * time on a crafted input. `master.command` is matched against every process's
 * command line, which any local user controls: such a pattern would let them
 * stall every poll. A quantified group that itself contains a quantifier or an
 * alternation is refused; simple patterns (`artisan queue:work|master\.mjs`)
 * pass.
 */
export function nestsQuantifiers(source: string): boolean {
  // For each open group: whether it contains a quantifier or an alternation so far.
  const groups: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i];
    if (char === '\\') {
      i += 1; // an escaped character is a literal
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') inClass = true;
    else if (char === '(') groups.push(false);
    else if (char === ')') {
      const risky = groups.pop() ?? false;
      if (risky && isQuantifier(source, i + 1)) return true;
      // A risky group makes its enclosing group risky too.
      if (risky && groups.length > 0) groups[groups.length - 1] = true;
    } else if ((isQuantifier(source, i) || char === '|') && groups.length > 0) groups[groups.length - 1] = true;
  }
  return false;
}

function isQuantifier(source: string, at: number): boolean {
  const char = source[at];
  return char === '*' || char === '+' || char === '?' || (char === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(at)));
}
