import * as z from 'zod/mini';
import { CRON_SUBJECT } from '../checks/finding.ts';
import { duration } from './duration-schema.ts';

/** The release checks' names, as written in `restart.on`. */
export const RESTART_TRIGGERS = ['release-deleted', 'release-stale'] as const;

const name = z.string().check(z.minLength(1));

const restart = z.strictObject({
  on: z.optional(z.array(z.enum(RESTART_TRIGGERS)).check(z.minLength(1))),
  strategy: z.optional(z.enum(['signal', 'command'])),
  /** The operator's restart command as an argument array: run without a shell. */
  command: z.optional(z.array(name).check(z.minLength(1))),
  /** Names of environment variables the command gets besides PATH, HOME and LANG (it inherits nothing else). */
  env: z.optional(
    z.array(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'))),
  ),
  /** SIGTERM → SIGKILL grace (signal), or the command's timeout (command). */
  grace: z.optional(duration),
  timeout: z.optional(duration),
  /** How long a new master may take to run from the current release before we escalate. */
  verify: z.optional(duration),
  budget: z.optional(z.strictObject({ max: z.optional(z.int().check(z.positive())), window: z.optional(duration) })),
});

/** An app whose worker master runs on this host, found by pid file or command-line pattern. */
export const appSchema = z
  .strictObject({
    // `cron:` names a crontab job's incidents on a host (CRON_SUBJECT): an app named so would be taken for one.
    name: name.check(
      z.refine((value) => !value.startsWith(CRON_SUBJECT), 'must not begin with "cron:" (it names crontab jobs)'),
    ),
    master: z.strictObject({
      pidFile: z.optional(name),
      /** A regular expression matched against the space-joined command line. */
      command: z.optional(name),
      user: z.optional(z.union([name, z.int().check(z.nonnegative())])),
    }),
    /** The deploy layout's `current` link, e.g. /srv/app/current, as the app sees it. */
    current: name,
    /** A master still on the previous release is fine for this long after a deploy. */
    staleGrace: z.optional(duration),
    /** Queue names this app serves; their starvation is reported with the release finding. */
    queues: z.optional(z.array(name)),
    restart: z.optional(restart),
  })
  .check(
    z.refine((app) => app.master.pidFile !== undefined || app.master.command !== undefined, {
      message: 'master needs pidFile or command',
      path: ['master'],
    }),
  );

export type AppInput = z.output<typeof appSchema>;
