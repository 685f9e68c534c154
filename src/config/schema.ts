import { schedulesSchema } from './schedules.ts';
import { z } from 'zod';
import { appSchema } from './apps-schema.ts';
import { duration } from './duration-schema.ts';
import { pressureSchema } from './pressure.ts';

const levels = z.strictObject({ warning: duration.optional(), critical: duration.optional() });

/** Rules that apply to a queue; set under `defaults` and overridden per queue. */
const queueRules = {
  mayBePaused: z.union([z.boolean(), duration], { error: 'expected true, false or a duration like "30m"' }).optional(),
  waitAge: levels.optional(),
  delayedOverdue: levels.optional(),
  /** Work pending and nothing completed or failed for this long (queue.no-progress). */
  noProgress: levels.optional(),
  /** A job running this long: a hung processor (queue.active-too-long); jobs within it count as work in flight. */
  maxRuntime: levels.optional(),
  /** A flow parent blocked by a failed child for this long (queue.flow-blocked). */
  flowBlocked: levels.optional(),
};

/** Lifts a shorthand (a bare string, a single object) to its full form, so errors name exact fields. */
const lift = <T extends z.ZodType>(when: (v: unknown) => boolean, wrap: (v: unknown) => unknown, schema: T) =>
  z.preprocess((value) => (when(value) ? wrap(value) : value), schema);

const queueEntry = lift(
  (v) => typeof v === 'string',
  (name) => ({ name }),
  z.strictObject({ name: z.string().min(1), prefix: z.string().min(1).optional(), ...queueRules }),
);

const target = z.strictObject({
  name: z.string().min(1).optional(),
  url: z.string().min(1).optional(),
  prefixes: z.array(z.string().min(1)).min(1).optional(),
  queues: z.array(queueEntry).optional(),
  discovery: z
    .strictObject({
      timeout: duration.optional(),
      perPoll: duration.optional(),
      maxQueues: z.int().positive().optional(),
    })
    .optional(),
  /** No queue on this target is expected (a spare database): no `redis.no-queues` warning. */
  allowEmpty: z.boolean().optional(),
  /** The app that owns this database and prefix: turns on the tenancy checks (claims, foreign queues). */
  app: z.string().min(1).optional(),
  /** Addresses or CIDR networks the app's workers connect from; others are `redis.unexpected-clients`. */
  expectedClients: z
    .array(
      z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'expected an IP address or a CIDR network, e.g. 10.0.1.0/24'),
    )
    .optional(),
});

const sentry = z.strictObject({
  environment: z.string().min(1).optional(),
  release: z.string().min(1).optional(),
  serverName: z.string().min(1).optional(),
  /** Waited at most for delivery before a poll or a command moves on. */
  deliveryTimeout: duration.optional(),
  heartbeat: z
    .strictObject({
      slug: z
        .string()
        .regex(/^[a-z0-9_-]+$/, 'expected a monitor slug: lower-case letters, digits, "-" and "_"')
        .optional(),
      margin: duration.optional(),
      maxRuntime: duration.optional(),
      timezone: z.string().min(1).optional(),
    })
    .optional(),
});

const incidents = z.strictObject({
  /** How long a finding must persist before an incident opens, per severity (like a Prometheus rule's `for`). */
  for: z
    .strictObject({ warning: duration.optional(), critical: duration.optional(), unknown: duration.optional() })
    .optional(),
  repeatInterval: duration.optional(),
  /** Key namespace of the watchdog's own state in Redis; never a BullMQ prefix. */
  namespace: z.string().min(1).optional(),
  stateTtl: duration.optional(),
  /** Process incidents of a host whose watchdog has not polled for this long expire (the host is gone). */
  hostGoneAfter: duration.optional(),
  /** Name of the Redis target that holds incident state; default the first. */
  stateRedis: z.string().min(1).optional(),
  /** Where `check` keeps incident state when its Redis user may not write it (a read-only ACL). */
  stateFile: z.string().min(1).optional(),
  /** More incidents of one check opening on one target in one poll than this are sent as one grouped alert. */
  groupAbove: z.number().int().min(1).optional(),
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configFileSchema = z.strictObject({
  redis: lift(
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    (v) => [v],
    z.array(target).min(1),
  ).optional(),
  defaults: z.strictObject(queueRules).optional(),
  timeout: duration.optional(),
  /** Poll interval of `watchdog run`, and the heartbeat monitor's schedule. */
  interval: duration.optional(),
  /** The longest one poll may take before it is aborted; default the interval (at most 30s). */
  pollTimeout: duration.optional(),
  /** Address of the HTTP server of `watchdog run` (/healthz, /readyz, /metrics, /status). */
  listen: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9464')
    .optional(),
  leadership: z.strictObject({ lease: duration.optional(), identity: z.string().min(1).optional() }).optional(),
  /** Name of the app this watchdog watches: a tag on every alert. */
  app: z.string().min(1).optional(),
  sentry: sentry.optional(),
  incidents: incidents.optional(),
  /** Limits of the Redis-level checks. */
  redisRules: z
    .strictObject({
      memory: z
        .strictObject({ warning: z.number().gt(0).lte(100).optional(), critical: z.number().gt(0).lte(100).optional() })
        .optional(),
      latency: z.strictObject({ warning: duration.optional(), critical: duration.optional() }).optional(),
    })
    .optional(),
  /** Worker masters on this host and their deploy layouts (the release checks). */
  apps: z.array(appSchema).optional(),
  /** Where /proc is read: /host/proc in a sidecar that mounts the host's. */
  procRoot: z.string().min(1).optional(),
  /** Host pressure (host.pressure): PSI levels in percent, the load fallback, the hog scan's bounds. */
  pressure: pressureSchema.optional(),
  /** The host's crontabs and timers (host.cron-duplicate, host.cron-clone). */
  cron: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** Where the host's `/` is: `/host` in a sidecar that mounts it read-only. */
      hostRoot: z.string().min(1).optional(),
      /** Regular expressions of commands meant to run on several hosts (not a clone). */
      multiHost: z.array(z.string().min(1)).optional(),
      /** Regular expressions of heavy commands kept out of `schedules.peakWindows` (host.cron-peak-window). */
      heavy: z.array(z.string().min(1)).optional(),
    })
    .optional(),
  /** Log and notify what a restart would do, without doing it. */
  dryRun: z.boolean().optional(),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).optional() }).optional(),
  /** BullMQ job schedulers: heavy work, peak windows, the business zone (src/config/schedules.ts). */
  schedules: schedulesSchema.optional(),
});

export type ConfigFile = z.output<typeof configFileSchema>;
export type TargetInput = z.output<typeof target>;
export type QueueRulesInput = z.output<z.ZodObject<typeof queueRules>>;
export type LogLevel = (typeof LOG_LEVELS)[number];
