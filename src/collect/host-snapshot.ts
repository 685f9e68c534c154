/** Facts read from /proc about the apps declared on this host, in one poll. No judgement here. */

/** A `cwd`/`exe` link as the kernel shows it; `deleted` = the " (deleted)" suffix. */
export type LinkReading =
  | { readonly ok: true; readonly path: string; readonly deleted: boolean }
  | { readonly ok: false; readonly code: string };

export interface ProcessFacts {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  /** Field 22 of /proc/<pid>/stat: with the pid, identifies this process across pid reuse. */
  readonly starttime: number;
  readonly comm: string;
  readonly cmdline: string;
  readonly cwd: LinkReading;
  readonly exe: LinkReading;
}

export interface AppReading {
  readonly app: string;
  /** The release `current` points at, resolved in the app's own view of the filesystem. */
  readonly current:
    | { readonly ok: true; readonly release: string; readonly changedAt: number }
    | { readonly ok: false; readonly problem: string };
  readonly master: ProcessFacts | null;
  /** Every process that matched the master's matcher (the master among them): a restart is verified against these. */
  readonly candidates: readonly ProcessFacts[];
  readonly workers: readonly ProcessFacts[];
  /** Processes that matched but could not be read (EACCES: another user without CAP_SYS_PTRACE). */
  readonly denied: readonly { readonly pid: number; readonly code: string; readonly what: string }[];
  /** Why the master could not be looked for at all (e.g. a user name unknown here); null when it could. */
  readonly problem: string | null;
}

export interface HostSnapshot {
  readonly host: string;
  readonly now: number;
  readonly apps: readonly AppReading[];
}
