import { ACTS } from '../demo/acts.ts';
import { runDemo } from '../demo/run-demo.ts';

/** `watchdog demo`: the incidents replayed on a private Redis. Exit 0 when every act was caught and healed. */
export async function runDemoCommand(flags: { json?: boolean }): Promise<number> {
  const started = Date.now();
  const say = (line: string): void => {
    if (!flags.json) process.stdout.write(`${line}\n`);
  };
  const results = await runDemo({
    say,
    json: flags.json === true,
    sentry: Boolean(process.env.SENTRY_DSN),
    env: process.env,
  });
  const ok = results.length === ACTS.length && results.every((r) => r.ok);
  if (flags.json)
    process.stdout.write(
      `${JSON.stringify({ ok, seconds: Math.round((Date.now() - started) / 1000), acts: results })}\n`,
    );
  else
    say(
      `${ok ? 'Every act was caught and healed' : 'Some act did not go as expected'} in ${Math.round((Date.now() - started) / 1000)}s; everything the demo started is gone.`,
    );
  return ok ? 0 : 1;
}
