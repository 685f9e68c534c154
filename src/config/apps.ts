import { ConfigError } from '../errors.ts';
import { nestsQuantifiers } from './regex-safety.ts';
import type { AppInput } from './apps-schema.ts';
import type { RESTART_TRIGGERS } from './apps-schema.ts';

export type RestartTrigger = (typeof RESTART_TRIGGERS)[number];

export interface RestartPolicy {
  readonly on: readonly RestartTrigger[];
  readonly strategy: 'signal' | 'command';
  readonly command: readonly string[] | null;
  /** Environment variables passed to the command besides PATH, HOME and LANG. */
  readonly env: readonly string[];
  readonly graceMs: number;
  readonly timeoutMs: number;
  readonly verifyMs: number;
  readonly budget: { readonly max: number; readonly windowMs: number };
}

export interface AppConfig {
  readonly name: string;
  readonly master: {
    readonly pidFile: string | null;
    readonly command: RegExp | null;
    readonly user: string | number | null;
  };
  readonly current: string;
  readonly staleGraceMs: number;
  /** Queue names whose starvation is linked to this app; null = every watched queue. */
  readonly queues: readonly string[] | null;
  /** null = restarts are off (the default). */
  readonly restart: RestartPolicy | null;
}

/** Documented defaults (README, "Stale releases"). */
export const APP_DEFAULTS = Object.freeze({
  staleGraceMs: 5 * 60_000,
  restart: Object.freeze({
    on: ['release-deleted'] as RestartTrigger[],
    graceMs: 10_000,
    timeoutMs: 60_000,
    verifyMs: 60_000,
    max: 3,
    windowMs: 30 * 60_000,
  }),
});

export function buildApps(inputs: readonly AppInput[]): AppConfig[] {
  const names = new Set<string>();
  return inputs.map((input, index) => {
    const path = `apps[${index}]`;
    if (names.has(input.name)) throw new ConfigError(`${path}.name: two apps are named "${input.name}"`);
    names.add(input.name);
    let command: RegExp | null = null;
    if (input.master.command !== undefined) {
      try {
        command = new RegExp(input.master.command);
      } catch (error) {
        throw new ConfigError(`${path}.master.command: not a valid regular expression: ${(error as Error).message}`);
      }
      if (nestsQuantifiers(input.master.command)) {
        throw new ConfigError(
          `${path}.master.command: a quantified group containing a quantifier or "|" (like (a+)+) can take exponential time on a crafted command line, which any local user controls; simplify the pattern`,
        );
      }
    }
    if (!input.current.startsWith('/'))
      throw new ConfigError(`${path}.current: expected an absolute path, got "${input.current}"`);
    const r = input.restart;
    const strategy = r?.strategy ?? 'signal';
    if (r && strategy === 'command' && !r.command)
      throw new ConfigError(
        `${path}.restart.command: the command strategy needs a command, e.g. ["systemctl", "restart", "app-worker"]`,
      );
    return {
      name: input.name,
      master: { pidFile: input.master.pidFile ?? null, command, user: input.master.user ?? null },
      current: input.current,
      staleGraceMs: input.staleGrace ?? APP_DEFAULTS.staleGraceMs,
      queues: input.queues ?? null,
      restart: r
        ? {
            on: r.on ?? APP_DEFAULTS.restart.on,
            strategy,
            command: r.command ?? null,
            env: r.env ?? [],
            graceMs: r.grace ?? APP_DEFAULTS.restart.graceMs,
            timeoutMs: r.timeout ?? APP_DEFAULTS.restart.timeoutMs,
            verifyMs: r.verify ?? APP_DEFAULTS.restart.verifyMs,
            budget: {
              max: r.budget?.max ?? APP_DEFAULTS.restart.max,
              windowMs: r.budget?.window ?? APP_DEFAULTS.restart.windowMs,
            },
          }
        : null,
    };
  });
}
