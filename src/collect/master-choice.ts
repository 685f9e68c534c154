import { isWithin, releasesDirOf } from '../linux/proc-parse.ts';
import type { AppReading, ProcessFacts } from './host-snapshot.ts';

/** A process that matched the app's master matcher, with its links and `current` as it sees it. */
export interface Considered {
  readonly facts: ProcessFacts;
  readonly current: AppReading['current'];
  readonly denied: AppReading['denied'];
}

export interface MasterChoice {
  readonly master: Considered | null;
  /** Why none of the matching processes was taken for the master; null when one was, or none matched. */
  readonly problem: string | null;
}

/**
 * Which matching process is the master (pure). A master runs from a release:
 * its cwd lies under the releases directory (the parent of what `current`
 * resolves to). Among those the oldest wins. A process whose cwd we may not
 * read cannot be judged either way (it is kept, and nothing acts on it); a
 * process whose cwd lies elsewhere (a `tail -f …/master.mjs.log`, an editor)
 * is never the master, and the reading says why instead.
 */
export function chooseMaster(considered: readonly Considered[]): MasterChoice {
  const oldest = (list: readonly Considered[]): Considered | null =>
    [...list].sort((a, b) => a.facts.starttime - b.facts.starttime)[0] ?? null;
  const releasesOf = (c: Considered): string | null => (c.current.ok ? releasesDirOf(c.current.release) : null);
  const within = (c: Considered): boolean | null => {
    const releases = releasesOf(c);
    return releases === null || !c.facts.cwd.ok ? null : isWithin(c.facts.cwd.path, releases);
  };
  const inside = considered.filter((c) => within(c) === true);
  if (inside.length > 0) return { master: oldest(inside), problem: null };
  // Unreadable cwd, or `current` unresolvable: it cannot be judged, and the plan never acts on it.
  const unknown = considered.filter((c) => within(c) === null);
  if (unknown.length > 0) return { master: oldest(unknown), problem: null };
  const outside = [...considered].sort((a, b) => a.facts.starttime - b.facts.starttime);
  const first = outside[0];
  if (!first) return { master: null, problem: null };
  const shown = outside
    .slice(0, 10)
    .map((c) => `pid ${c.facts.pid} (cwd ${c.facts.cwd.ok ? c.facts.cwd.path : '?'})`)
    .join(', ');
  const more = outside.length > 10 ? ` and ${outside.length - 10} more` : '';
  const one = outside.length === 1;
  return {
    master: null,
    problem: `${shown}${more} ${one ? 'matches' : 'match'} the master's pattern, but ${one ? 'runs' : 'run'} outside ${releasesOf(first) ?? '?'}, the releases directory "current" points into: not taken for the master, and never signalled. Narrow master.command, or check that the master runs from a release`,
  };
}
