import { z } from 'zod';
import { duration } from './duration-schema.ts';

/** The release checks' names, as written in `restart.on`. */
export const RESTART_TRIGGERS = ['release-deleted', 'release-stale'] as const;

const restart = z.strictObject({
  on: z.array(z.enum(RESTART_TRIGGERS)).min(1).optional(),
  strategy: z.enum(['signal', 'command']).optional(),
  /** The operator's restart command as an argument array: run without a shell. */
  command: z.array(z.string().min(1)).min(1).optional(),
  /** Names of environment variables the command gets besides PATH, HOME and LANG (it inherits nothing else). */
  env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')).optional(),
  /** SIGTERM → SIGKILL grace (signal), or the command's timeout (command). */
  grace: duration.optional(),
  timeout: duration.optional(),
  /** How long a new master may take to run from the current release before we escalate. */
  verify: duration.optional(),
  budget: z.strictObject({ max: z.int().positive().optional(), window: duration.optional() }).optional(),
});

/** An app whose worker master runs on this host, found by pid file or command-line pattern. */
export const appSchema = z
  .strictObject({
    name: z.string().min(1),
    master: z.strictObject({
      pidFile: z.string().min(1).optional(),
      /** A regular expression matched against the space-joined command line. */
      command: z.string().min(1).optional(),
      user: z.union([z.string().min(1), z.int().nonnegative()]).optional(),
    }),
    /** The deploy layout's `current` link, e.g. /srv/app/current, as the app sees it. */
    current: z.string().min(1),
    /** A master still on the previous release is fine for this long after a deploy. */
    staleGrace: duration.optional(),
    /** Queue names this app serves; their starvation is reported with the release finding. */
    queues: z.array(z.string().min(1)).optional(),
    restart: restart.optional(),
  })
  .refine((app) => app.master.pidFile !== undefined || app.master.command !== undefined, {
    message: 'master needs pidFile or command',
    path: ['master'],
  });

export type AppInput = z.output<typeof appSchema>;
