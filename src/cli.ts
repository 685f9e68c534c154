#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from './errors.ts';
import { VERSION } from './version.ts';
// Types only: each command's module is still loaded when it runs.
import type { CheckFlags } from './commands/check.ts';
import type { ConfigFlags } from './config/load.ts';
import type { ExecFlags } from './commands/exec.ts';
import type { RunsFlags } from './commands/runs.ts';

// Each command's module is imported when the command runs: `check` should not pay for
// Sentry, prom-client or the demo's BullMQ in memory and start-up time.

const EXIT_UNKNOWN = 3;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The flags `check` and `run` share: what to watch and how long to wait for it. */
function withWatchOptions(command: Command, logTo: 'stdout' | 'stderr'): void {
  command
    .option('-c, --config <file>', 'YAML config file (default: $WATCHDOG_CONFIG, else ./watchdog.yml when present)')
    .option('-r, --redis <url>', 'Redis URL (default: $REDIS_URL, else redis://127.0.0.1:6379/0)')
    .option('-q, --queue <name>', 'queue to watch; repeat for several (default: discover queues)', collect, [])
    .option('-p, --prefix <prefix>', 'BullMQ key prefix; repeat for several (default: bull)', collect, [])
    .option('--timeout <duration>', 'time budget per Redis target, e.g. 3s (default: 3s)')
    .option('--dry-run', 'log and notify the restarts the config allows, without doing them')
    .addOption(new Option('--log-level <level>', `log level on ${logTo} (default: $LOG_LEVEL, else info)`));
}

function program(): Command {
  const cli = new Command('watchdog')
    .description('Watches BullMQ queues and their worker processes; says when work has silently stopped flowing.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run "watchdog --help" for usage)');

  const check = cli
    .command('check')
    .description('One pass over Redis: print a report and exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.');
  withWatchOptions(check, 'stderr');
  check
    .option('--json', 'print one JSON object instead of the table')
    .option('--heartbeat', 'also send a Sentry cron check-in (for a check run from cron; needs SENTRY_DSN)')
    .action(async (options: CheckFlags) => {
      process.exitCode = await (await import('./commands/check.ts')).runCheck(options);
    });

  const run = cli
    .command('run')
    .description('The sidecar: poll on a schedule, alert through Sentry, serve /healthz /readyz /metrics /status.');
  withWatchOptions(run, 'stdout');
  run
    .option('-i, --interval <duration>', 'poll interval, dividing a minute/hour/day evenly (default: 15s)')
    .option('-l, --listen <host:port>', 'HTTP address (default: 127.0.0.1:9464)')
    .action(async (options: ConfigFlags) => {
      process.exitCode = await (await import('./commands/run.ts')).runDaemon(options);
    });

  const schedules = cli
    .command('schedules')
    .description(
      'List every BullMQ job scheduler (next runs, last run, iterations) with the schedule findings; exit codes as check.',
    );
  withWatchOptions(schedules, 'stderr');
  schedules
    .option('--json', 'print one JSON object instead of the list')
    .action(async (options: ConfigFlags & { json?: boolean }) => {
      process.exitCode = await (await import('./commands/schedules.ts')).runSchedules(options);
    });

  cli
    .command('exec')
    .description(
      'Run a cron job once per slot across hosts and users: takes the slot lock in Redis, runs the command (no shell), exits with its code.',
    )
    .requiredOption('--key <name>', "the job's name: the lock, the records and the Sentry monitor slug")
    .option('--period <duration>', 'the job runs every <duration>, e.g. 5m, 1h, 1d')
    .option('--schedule <cron>', 'the job runs on this cron schedule, e.g. "0 3 * * *"')
    .option('--tz <zone>', 'time zone of --schedule and of the Sentry monitor (default UTC)')
    .option('--on-duplicate <action>', 'slot already taken by another runner: skip (default) or run')
    .option('--fail-closed', `do not run when the lock cannot be taken (exit 75); default: run anyway`)
    .option('-c, --config <file>', 'YAML config file (the Redis target and namespace)')
    .option('-r, --redis <url>', 'Redis URL (default: $REDIS_URL, else redis://127.0.0.1:6379/0)')
    .argument('[command...]', 'the command and its arguments, after --')
    .action(async (command: string[], options: ExecFlags) => {
      process.exitCode = await (await import('./commands/exec.ts')).runExec(options, command);
    });

  cli
    .command('runs')
    .description(
      'The recent runs of each watchdog exec key: last start, host, exit code, duration, duplicates refused.',
    )
    .option('--json', 'print one JSON object')
    .option('--key <name>', 'only this key')
    .option('-c, --config <file>', 'YAML config file')
    .option('-r, --redis <url>', 'Redis URL (default: $REDIS_URL, else redis://127.0.0.1:6379/0)')
    .action(async (options: RunsFlags) => {
      process.exitCode = await (await import('./commands/runs.ts')).runRuns(options);
    });

  cli
    .command('demo')
    .description(
      'Replay the incidents on a private Redis (needs redis-server on PATH): what breaks, what the watchdog reports and fixes.',
    )
    .option('--json', 'print one JSON object with each act instead of the narration')
    .action(async (options: { json?: boolean }) => {
      process.exitCode = await (await import('./commands/demo.ts')).runDemoCommand(options);
    });

  cli
    .command('demo-worker')
    .description(
      'Run only the demo app (release layout, supervised master, BullMQ workers, a producer) on $REDIS_URL, for the compose stack.',
    )
    .action(async () => {
      process.exitCode = await (await import('./commands/demo-worker.ts')).runDemoWorker();
    });

  cli
    .command('test-alert')
    .description(
      'Send a test event and a heartbeat check-in to Sentry ($SENTRY_DSN) and say whether it accepted them: exit 0, else 2.',
    )
    .option('-c, --config <file>', 'YAML config file (for the sentry section)')
    .addOption(new Option('--log-level <level>', 'log level on stderr'))
    .action(async (options: { config?: string; logLevel?: string }) => {
      process.exitCode = await (await import('./commands/test-alert.ts')).runTestAlert(options);
    });
  return cli;
}

async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; a wrong flag is UNKNOWN, as monitoring plugins expect.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_UNKNOWN;
    } else if (error instanceof ConfigError) {
      process.stderr.write(`watchdog: ${error.message}\n`);
      process.exitCode = EXIT_UNKNOWN;
    } else {
      process.stderr.write(
        `watchdog: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = EXIT_UNKNOWN;
    }
  }
}

/** Resolves once everything written so far has left the stream (pipes are asynchronous). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

await main(process.argv);
// A one-shot command is done once its output is out: a Sentry request still in flight
// past its delivery bound must not hold the process open.
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit();
