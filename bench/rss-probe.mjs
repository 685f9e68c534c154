// Preloaded into a `watchdog check` run by the benchmark: reports the process's peak RSS at exit.
import process from 'node:process';

process.on('exit', () => process.stderr.write(`\nmaxrss_kb=${process.resourceUsage().maxRSS}\n`));
