import { schedulesSchema } from './schedules.ts';
import * as z from 'zod/mini';
import { appSchema } from './apps-schema.ts';
import { duration } from './duration-schema.ts';
import { pressureSchema } from './pressure.ts';

const name = z.string().check(z.minLength(1));
const levels = z.strictObject({ warning: z.optional(duration), critical: z.optional(duration) });

/** Rules that apply to a queue; set under `defaults` and overridden per queue. */
const queueRules = {
  mayBePaused: z.optional(z.union([z.boolean(), duration], { error: 'expected true, false or a duration like "30m"' })),
  waitAge: z.optional(levels),
  delayedOverdue: z.optional(levels),
  /** Work pending and nothing completed or failed for this long (queue.no-progress). */
  noProgress: z.optional(levels),
  /** A job running this long: a hung processor (queue.active-too-long); jobs within it count as work in flight. */
  maxRuntime: z.optional(levels),
  /** A flow parent blocked by a failed child for this long (queue.flow-blocked). */
  flowBlocked: z.optional(levels),
};
const queueRulesSchema = z.strictObject(queueRules);

/** Lifts a shorthand (a bare string, a single object) to its full form, so errors name exact fields. */
const lift = <T extends z.ZodMiniType>(when: (v: unknown) => boolean, wrap: (v: unknown) => unknown, schema: T) =>
  z.pipe(
    z.transform((value: unknown) => (when(value) ? wrap(value) : value)),
    schema,
  );

const queueEntry = lift(
  (v) => typeof v === 'string',
  (queue) => ({ name: queue }),
  z.strictObject({ name, prefix: z.optional(name), ...queueRules }),
);

const target = z.strictObject({
  name: z.optional(name),
  url: z.optional(name),
  prefixes: z.optional(z.array(name).check(z.minLength(1))),
  queues: z.optional(z.array(queueEntry)),
  discovery: z.optional(
    z.strictObject({
      timeout: z.optional(duration),
      perPoll: z.optional(duration),
      maxQueues: z.optional(z.int().check(z.positive())),
    }),
  ),
  /** No queue on this target is expected (a spare database): no `redis.no-queues` warning. */
  allowEmpty: z.optional(z.boolean()),
  /** The app that owns this database and prefix: turns on the tenancy checks (claims, foreign queues). */
  app: z.optional(name),
  /** Addresses or CIDR networks the app's workers connect from; others are `redis.unexpected-clients`. */
  expectedClients: z.optional(
    z.array(
      z
        .string()
        .check(z.regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'expected an IP address or a CIDR network, e.g. 10.0.1.0/24')),
    ),
  ),
});

const sentry = z.strictObject({
  environment: z.optional(name),
  release: z.optional(name),
  serverName: z.optional(name),
  /** Waited at most for delivery before a poll or a command moves on. */
  deliveryTimeout: z.optional(duration),
  heartbeat: z.optional(
    z.strictObject({
      slug: z.optional(
        z.string().check(z.regex(/^[a-z0-9_-]+$/, 'expected a monitor slug: lower-case letters, digits, "-" and "_"')),
      ),
      margin: z.optional(duration),
      maxRuntime: z.optional(duration),
      timezone: z.optional(name),
    }),
  ),
});

const incidents = z.strictObject({
  /** How long a finding must persist before an incident opens, per severity (like a Prometheus rule's `for`). */
  for: z.optional(
    z.strictObject({
      warning: z.optional(duration),
      critical: z.optional(duration),
      unknown: z.optional(duration),
    }),
  ),
  repeatInterval: z.optional(duration),
  /** Key namespace of the watchdog's own state in Redis; never a BullMQ prefix. */
  namespace: z.optional(name),
  stateTtl: z.optional(duration),
  /** Process incidents of a host whose watchdog has not polled for this long expire (the host is gone). */
  hostGoneAfter: z.optional(duration),
  /** Name of the Redis target that holds incident state; default the first. */
  stateRedis: z.optional(name),
  /** Where `check` keeps incident state when its Redis user may not write it (a read-only ACL). */
  stateFile: z.optional(name),
  /** More incidents of one check opening on one target in one poll than this are sent as one grouped alert. */
  groupAbove: z.optional(z.number().check(z.int(), z.minimum(1))),
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const percent = z.number().check(z.gt(0), z.lte(100));

export const configFileSchema = z.strictObject({
  redis: z.optional(
    lift(
      (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
      (v) => [v],
      z.array(target).check(z.minLength(1)),
    ),
  ),
  defaults: z.optional(queueRulesSchema),
  timeout: z.optional(duration),
  /** Poll interval of `watchdog run`, and the heartbeat monitor's schedule. */
  interval: z.optional(duration),
  /** The longest one poll may take before it is aborted; default the interval (at most 30s). */
  pollTimeout: z.optional(duration),
  /** Address of the HTTP server of `watchdog run` (/healthz, /readyz, /metrics, /status). */
  listen: z.optional(
    z.string().check(z.regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9464')),
  ),
  leadership: z.optional(z.strictObject({ lease: z.optional(duration), identity: z.optional(name) })),
  /** Name of the app this watchdog watches: a tag on every alert. */
  app: z.optional(name),
  sentry: z.optional(sentry),
  incidents: z.optional(incidents),
  /** Limits of the Redis-level checks. */
  redisRules: z.optional(
    z.strictObject({
      memory: z.optional(z.strictObject({ warning: z.optional(percent), critical: z.optional(percent) })),
      latency: z.optional(z.strictObject({ warning: z.optional(duration), critical: z.optional(duration) })),
    }),
  ),
  /** Worker masters on this host and their deploy layouts (the release checks). */
  apps: z.optional(z.array(appSchema)),
  /** Where /proc is read: /host/proc in a sidecar that mounts the host's. */
  procRoot: z.optional(name),
  /** Host pressure (host.pressure): PSI levels in percent, the load fallback, the hog scan's bounds. */
  pressure: z.optional(pressureSchema),
  /** The host's crontabs and timers (host.cron-duplicate, host.cron-clone). */
  cron: z.optional(
    z.strictObject({
      enabled: z.optional(z.boolean()),
      /** Where the host's `/` is: `/host` in a sidecar that mounts it read-only. */
      hostRoot: z.optional(name),
      /** Regular expressions of commands meant to run on several hosts (not a clone). */
      multiHost: z.optional(z.array(name)),
      /** Regular expressions of heavy commands kept out of `schedules.peakWindows` (host.cron-peak-window). */
      heavy: z.optional(z.array(name)),
    }),
  ),
  /** Log and notify what a restart would do, without doing it. */
  dryRun: z.optional(z.boolean()),
  log: z.optional(z.strictObject({ level: z.optional(z.enum(LOG_LEVELS)) })),
  /** BullMQ job schedulers: heavy work, peak windows, the business zone (src/config/schedules.ts). */
  schedules: z.optional(schedulesSchema),
});

export type ConfigFile = z.output<typeof configFileSchema>;
export type TargetInput = z.output<typeof target>;
export type QueueRulesInput = z.output<typeof queueRulesSchema>;
export type LogLevel = (typeof LOG_LEVELS)[number];
