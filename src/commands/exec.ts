import { userInfo } from 'node:os';
import type { Redis } from 'ioredis';
import { describeRedisError } from '../collect/read-target.ts';
import { createOneShotClient } from '../collect/redis-client.ts';
import { parseDuration } from '../config/duration.ts';
import type { ConfigFlags } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { createCheckIns } from '../exec/checkin.ts';
import { claimSlot, recordRefusal, recordRun } from '../exec/lock.ts';
import { describeHolder, KEY_PATTERN } from '../exec/records.ts';
import type { Holder, RunRecord } from '../exec/records.ts';
import { knownZone, scheduleProblem, slotOf } from '../exec/slot.ts';
import type { Cadence } from '../exec/slot.ts';
import { runCommand } from '../exec/spawn.ts';
import { formatTime } from '../checks/context.ts';
import { readConfig, realIo } from './wiring.ts';
import type { Io } from './wiring.ts';

export interface ExecFlags extends Pick<ConfigFlags, 'config' | 'redis'> {
  readonly key: string;
  readonly period?: string;
  readonly schedule?: string;
  readonly tz?: string;
  readonly onDuplicate?: string;
  readonly failClosed?: boolean;
}

/** Exit codes of `exec` itself; otherwise it exits with the command's. */
export const EXEC_USAGE = 3;
/** EX_TEMPFAIL (sysexits.h): --fail-closed and the slot lock could not be taken. Try again later. */
export const EXEC_LOCK_UNAVAILABLE = 75;

/**
 * `watchdog exec --key NAME (--period 1h | --schedule "0 3 * * *") -- command args…`:
 * a cron line's guard against running twice. Takes the slot's lock in Redis;
 * a slot someone else holds is not run again (exit 0, the refusal recorded
 * for `schedule.duplicate-run`). Fails open: without Redis (or with a broken
 * config) the command runs anyway, unguarded, and stderr says so, unless
 * `--fail-closed`. Exits with the command's code.
 */
export async function runExec(flags: ExecFlags, argv: readonly string[], io: Io = realIo()): Promise<number> {
  const say = (line: string): void => void process.stderr.write(`watchdog exec: ${flags.key}: ${line}\n`);
  const usage = usageProblem(flags, argv);
  if (typeof usage === 'string') {
    process.stderr.write(`watchdog exec: ${usage}\n`);
    return EXEC_USAGE;
  }
  const { cadence, tz } = usage;
  const onDuplicate = flags.onDuplicate ?? 'skip';
  const shown = argv.join(' ');
  let config: Config;
  try {
    config = readConfig(flags, io.env);
  } catch (error) {
    return unguarded(`the config cannot be read (${(error as Error).message})`, null);
  }
  const ns = config.incidents.namespace;
  const slot = slotOf(cadence, io.now());
  const me: Holder = { host: config.host, user: currentUser(), pid: process.pid, startedAt: io.now() };
  const target = config.targets.find((t) => t.name === config.incidents.stateRedis) ?? config.targets[0];
  let redis: Redis | null = null;
  let lastError: Error | undefined;
  if (target) {
    redis = createOneShotClient(target.endpoint, config.timeoutMs, (error) => (lastError = error));
  }
  try {
    if (!redis) return await unguarded('no Redis target is configured', config);
    let claim;
    try {
      await redis.connect();
      claim = await claimSlot(redis, ns, flags.key, slot.at, me, Math.max(2 * slot.periodMs, 1_000));
    } catch (error) {
      redis.disconnect();
      redis = null;
      // ioredis rejects with "Connection is closed."; the reason is the connection error before it.
      return await unguarded(
        `the slot lock in Redis is unavailable (${describeRedisError(lastError ?? error)})`,
        config,
      );
    }
    if (!claim.taken) {
      const ran = onDuplicate === 'run';
      const held = claim.holder
        ? `${describeHolder(claim.holder)}, started ${formatTime(claim.holder.startedAt)}`
        : `an unknown runner: the lock holds "${claim.raw ?? ''}", which exec did not write`;
      say(
        `the slot of ${formatTime(slot.at)} is already taken by ${held}: ${ran ? 'running it anyway (--on-duplicate run)' : 'not running it'}.`,
      );
      const refusal = { ...me, kind: 'refused', key: flags.key, slot: slot.at, holder: claim.holder, ran } as const;
      await recordRefusal(redis, ns, refusal).catch((error: Error) =>
        say(`the refusal could not be recorded: ${error.message}`),
      );
      if (!ran) return 0;
    }
    return await guarded(redis, config, claim.taken);
  } finally {
    redis?.disconnect();
  }

  async function unguarded(reason: string, cfg: Config | null): Promise<number> {
    if (flags.failClosed) {
      say(`not running ${shown}: ${reason}, and --fail-closed is set (exit ${EXEC_LOCK_UNAVAILABLE}).`);
      return EXEC_LOCK_UNAVAILABLE;
    }
    say(`running ${shown} without the slot guard: ${reason} (fail open; --fail-closed refuses instead).`);
    if (!cfg) return (await runCommand(argv, () => undefined)).code;
    return guarded(null, cfg, false);
  }

  /** Runs the command, recording its start and end (when Redis is there) and sending check-ins. */
  async function guarded(client: Redis | null, cfg: Config, locked: boolean): Promise<number> {
    const checkIns = await createCheckIns(cfg.sentry, flags.key, cadence, tz);
    const startedAt = io.now();
    const run: RunRecord = {
      ...me,
      startedAt,
      kind: 'run',
      key: flags.key,
      slot: slot.at,
      endedAt: null,
      exitCode: null,
      signal: null,
      locked,
    };
    const record = async (value: RunRecord): Promise<void> => {
      if (client)
        await recordRun(client, ns, value).catch((error: Error) =>
          say(`the run could not be recorded: ${error.message}`),
        );
    };
    await record(run);
    checkIns.start();
    const finished = await runCommand(argv, () => undefined);
    if (finished.problem) say(finished.problem);
    const endedAt = io.now();
    await record({ ...run, endedAt, exitCode: finished.code, signal: finished.signal });
    checkIns.finish(finished.code === 0, endedAt - startedAt);
    if (!(await checkIns.flush(cfg.sentry.deliveryTimeoutMs))) say('the Sentry check-ins did not leave in time.');
    return finished.code;
  }
}

/** The cadence and zone the flags describe, or what is wrong with them. */
function usageProblem(flags: ExecFlags, argv: readonly string[]): { cadence: Cadence; tz: string | null } | string {
  if (!KEY_PATTERN.test(flags.key))
    return `--key "${flags.key}": use lower-case letters, digits, "-" and "_" (it is also the Sentry monitor slug)`;
  if (argv.length === 0 || argv[0] === '')
    return 'no command: write it after "--", e.g. watchdog exec --key backup --period 1d -- /usr/local/bin/backup';
  if ((flags.period === undefined) === (flags.schedule === undefined))
    return 'say how often the job runs: exactly one of --period (e.g. 1h) or --schedule (e.g. "0 3 * * *")';
  if (flags.onDuplicate !== undefined && flags.onDuplicate !== 'skip' && flags.onDuplicate !== 'run')
    return `--on-duplicate: expected skip or run, got "${flags.onDuplicate}"`;
  const tz = flags.tz ?? null;
  if (tz !== null && !knownZone(tz)) return `--tz: unknown time zone "${tz}" (an IANA name, e.g. Europe/Paris)`;
  if (flags.period !== undefined) {
    const ms = parseDuration(flags.period);
    if (ms === undefined || ms < 1_000)
      return `--period: expected a duration of at least 1s, e.g. "5m" or "1h", got "${flags.period}"`;
    return { cadence: { kind: 'period', ms, text: flags.period }, tz };
  }
  const expression = flags.schedule ?? '';
  const problem = scheduleProblem(expression, tz);
  return problem ? `--schedule: ${problem}` : { cadence: { kind: 'schedule', expression, tz }, tz };
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
