import type { HostInventory } from '../cron/fleet.ts';
import { plural } from './context.ts';
import { makeFinding } from './finding.ts';
import type { Finding } from './finding.ts';

export const HOST_CRON_CLONE = 'host.cron-clone';

/**
 * The same cron job (schedule, command, user) on several live hosts
 * (docs/incidents.md#001-cloned-servers-bulk-email): servers spun up from a
 * backup image run their crontabs against the shared database. Watchdogs
 * with one boot id run on one machine (sidecars) and count once; jobs
 * declared in `cron.multiHost` are meant to run everywhere. One finding per
 * set of hosts sharing jobs, so a clone with 30 jobs is one incident.
 */
export function checkCronClone(inventories: readonly HostInventory[]): Finding[] {
  // Hosts on one machine (same boot id) read the same crontabs: one machine, named by its first host.
  const machineOf = new Map<string, string>();
  const namesOf = new Map<string, string[]>();
  for (const inv of inventories) {
    const machine = inv.bootId ? `boot:${inv.bootId}` : `host:${inv.host}`;
    machineOf.set(inv.host, machine);
    namesOf.set(machine, [...(namesOf.get(machine) ?? []), inv.host]);
  }
  const holders = new Map<string, { label: string; machines: Set<string> }>();
  const jobSets = new Map<string, Set<string>>();
  for (const inv of inventories) {
    const machine = machineOf.get(inv.host) ?? inv.host;
    const set = jobSets.get(machine) ?? new Set<string>();
    jobSets.set(machine, set);
    for (const job of inv.jobs) {
      set.add(job.id);
      if (job.multi) continue;
      const entry = holders.get(job.id) ?? { label: job.label, machines: new Set<string>() };
      entry.machines.add(machine);
      holders.set(job.id, entry);
    }
  }
  const groups = new Map<string, { machines: string[]; labels: string[] }>();
  for (const { label, machines } of holders.values()) {
    if (machines.size < 2) continue;
    const sorted = [...machines].sort();
    const key = sorted.join(',');
    const group = groups.get(key) ?? { machines: sorted, labels: [] };
    group.labels.push(label);
    groups.set(key, group);
  }
  const hostName = (machine: string): string => (namesOf.get(machine) ?? [machine]).join('/');
  return [...groups.values()].map(({ machines, labels }) => {
    const hosts = machines.map(hostName);
    const signature = (m: string): string => [...(jobSets.get(m) ?? [])].sort().join(',');
    const identical = machines.every((m) => signature(m) === signature(machines[0] ?? ''));
    const clone = identical
      ? ` Their whole inventories are identical (${plural(jobSets.get(machines[0] ?? '')?.size ?? 0, 'job')}): one is likely a clone of the other.`
      : '';
    const sample = labels.slice(0, 3).join('; ');
    return makeFinding(
      HOST_CRON_CLONE,
      'critical',
      { kind: 'job', job: `cron-clone:${hosts.join(',')}` },
      `${plural(labels.length, 'cron job')} ${labels.length === 1 ? 'runs' : 'run'} on ${hosts.length} live hosts at once: ${hosts.join(', ')} (${sample}${labels.length > 3 ? `; ${labels.length - 3} more` : ''}), each run happens ${hosts.length} times against whatever they share.${clone} Stop the extra host, or list the job in cron.multiHost if it is meant to run everywhere; guard the cron line with watchdog exec.`,
      { hosts, jobs: labels, identical },
    );
  });
}
