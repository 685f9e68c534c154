import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited (at once when it already had). */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
