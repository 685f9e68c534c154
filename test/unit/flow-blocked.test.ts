import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFlowBlocked } from '../../src/checks/queue-flow-blocked.ts';
import { context, minutes, NOW } from '../support/figures.ts';

const parent = { waitingChildren: 2, oldestParentId: '7', oldestParentAt: NOW - minutes(50) } as const;
const failed = { failedChild: 'bull:parts:12', childFailedAt: NOW - minutes(5) } as const;

describe('queue.flow-blocked', () => {
  const rows: Array<[string, ReturnType<typeof context>, string | undefined]> = [
    ['no parent waits: nothing', context(), undefined],
    ['a parent waits, no child failed: nothing', context(parent), undefined],
    ['a child failed 5m ago: warning', context({ ...parent, ...failed }), 'warning'],
    [
      'a child failed 2 days ago: critical',
      context({ ...parent, ...failed, childFailedAt: NOW - minutes(2_880) }),
      'critical',
    ],
    ['a child failed 10s ago: not yet', context({ ...parent, ...failed, childFailedAt: NOW - 10_000 }), undefined],
  ];
  for (const [name, ctx, expected] of rows) it(name, () => assert.equal(checkFlowBlocked(ctx)?.severity, expected));

  it('names the parent, the child, and what to do', () => {
    const summary = checkFlowBlocked(context({ ...parent, ...failed }))?.summary ?? '';
    assert.match(
      summary,
      /^Flow parent job 7 in queue "emails" .* has waited for its children since 2026-11-22 11:10 UTC \(50m\) and will never run: its child bull:parts:12 failed 5m ago, and without failParentOnFailure/,
    );
    assert.match(summary, /2 parents wait for children in this queue in all\. Retry or remove the child/);
  });
});
