// The demo app's queue master: started in `current/`, it keeps one worker alive by forking
// `./worker.mjs` — relative to the working directory the kernel resolved at start. Once a
// deploy deletes that release, every fork fails while the master itself runs on (incident 003).
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

const workers = new Set<ChildProcess>();
let stopping = false;

function startWorker(): void {
  let child: ChildProcess;
  try {
    child = fork('./worker.mjs', [], { stdio: 'ignore' });
  } catch (error) {
    process.stdout.write(`fork failed ${(error as NodeJS.ErrnoException).code ?? ''}\n`);
    return;
  }
  workers.add(child);
  child.on('error', () => undefined);
  child.on('exit', (code) => {
    workers.delete(child);
    if (code !== 0 && !stopping) process.stdout.write(`worker ${child.pid ?? '?'} failed to start (exit ${code})\n`);
  });
}

const timer = setInterval(() => {
  if (!stopping && workers.size === 0) startWorker();
}, 300);
startWorker();
process.on('SIGTERM', () => {
  stopping = true;
  clearInterval(timer);
  for (const child of workers) child.kill('SIGTERM');
  setTimeout(() => process.exit(0), 500).unref();
});
