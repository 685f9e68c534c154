// deploy/kubernetes against the Kubernetes API itself, offline: the schemas of a current Kubernetes
// (kubernetes-models, the 1.34 API), unknown fields refused as kubectl's strict field validation
// refuses them, probes on ports the containers declare, and every Secret and ConfigMap a pod
// reads defined here with the keys it reads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { list, obj, read } from '../support/deploy-files.ts';
import type { Obj } from '../support/deploy-files.ts';
import { schemaErrors, unknownFieldErrors } from '../support/k8s-schema.ts';

const FILES = ['deployment.yaml', 'configmap.yaml', 'secret.example.yaml'];
const docs = FILES.flatMap((name) =>
  parseAllDocuments(read(`deploy/kubernetes/${name}`)).map((doc) => obj(doc.toJS(), name)),
);
const deployment = docs.find((d) => d.kind === 'Deployment') ?? assert.fail('no Deployment');
const pod = obj(obj(obj(deployment.spec, 'spec').template, 'template').spec, 'pod spec');
const containers = [...list(pod.containers, 'containers'), ...list(pod.initContainers ?? [], 'initContainers')].map(
  (c, i) => obj(c, `container ${i}`),
);

/** The manifests with one change made to a copy of the Deployment. */
function changed(edit: (deployment: Obj) => void): Obj[] {
  const copy = structuredClone(deployment);
  edit(copy);
  return docs.map((d) => (d === deployment ? copy : d));
}
const sidecarOf = (d: Obj): Obj =>
  obj(list(obj(obj(obj(d.spec, 'spec').template, 't').spec, 'pod').containers, 'containers')[1], 'sidecar');

describe('deploy/kubernetes against the Kubernetes API', () => {
  it('every document is valid against the schemas of Kubernetes 1.34', async () => {
    assert.deepEqual(
      docs.map((d) => d.kind),
      ['Deployment', 'ConfigMap', 'Secret'],
    );
    assert.deepEqual(await schemaErrors(docs), []);
    const wrong = changed((d) => (obj(d.spec, 'spec').replicas = 'two'));
    assert.match((await schemaErrors(wrong)).join('\n'), /spec\/replicas must be integer/, 'a wrong type is refused');
  });

  it('has no field the API does not know, at any depth; a misspelt one is refused', () => {
    assert.deepEqual(unknownFieldErrors(docs), []);
    const typos: Array<[string, (d: Obj) => void]> = [
      ['replica', (d) => (obj(d.spec, 'spec').replica = 2)],
      ['runAsUsr', (d) => (obj(sidecarOf(d).securityContext, 'sc').runAsUsr = 1000)],
      ['prot', (d) => (obj(obj(sidecarOf(d).livenessProbe, 'probe').httpGet, 'httpGet').prot = 9464)],
      [
        'shareProcessNamespaces',
        (d) => (obj(obj(obj(d.spec, 's').template, 't').spec, 'p').shareProcessNamespaces = true),
      ],
    ];
    for (const [field, edit] of typos)
      assert.match(unknownFieldErrors(changed(edit)).join('\n'), new RegExp(`'"${field}"' does not exist`), field);
  });

  it('probes every container on a port it declares, by number or by name', () => {
    let probes = 0;
    for (const container of containers) {
      const declared = list(container.ports ?? [], 'ports').flatMap((p) => [
        obj(p, 'port').containerPort,
        obj(p, 'port').name,
      ]);
      for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (!container[kind]) continue;
        const probe = obj(container[kind], kind);
        const action = probe.httpGet ?? probe.tcpSocket ?? probe.grpc;
        if (!action) continue; // exec probes use no port
        probes++;
        const port = obj(action, `${kind} action`).port;
        assert.ok(
          declared.includes(port),
          `${String(container.name)} ${kind} on port ${String(port)}, declared: ${declared.join(', ')}`,
        );
      }
    }
    assert.ok(probes >= 2, 'the sidecar has a liveness and a readiness probe');
  });

  it('reads only Secrets and ConfigMaps defined here, and keys they have (unless optional)', () => {
    const defined = (kind: string, name: unknown): Obj | undefined =>
      docs.find((d) => d.kind === kind && obj(d.metadata, 'metadata').name === name);
    const keysOf = (doc: Obj): string[] =>
      Object.keys({ ...obj(doc.data ?? {}, 'data'), ...obj(doc.stringData ?? {}, 'stringData') });
    const refs: Array<{ kind: string; ref: Obj; key?: string }> = [];
    for (const container of containers) {
      for (const env of list(container.env ?? [], 'env').map((e) => obj(e, 'env'))) {
        const from = obj(env.valueFrom ?? {}, 'valueFrom');
        if (from.secretKeyRef)
          refs.push({
            kind: 'Secret',
            ref: obj(from.secretKeyRef, 'ref'),
            key: String(obj(from.secretKeyRef, 'ref').key),
          });
        if (from.configMapKeyRef)
          refs.push({
            kind: 'ConfigMap',
            ref: obj(from.configMapKeyRef, 'ref'),
            key: String(obj(from.configMapKeyRef, 'ref').key),
          });
      }
      for (const source of list(container.envFrom ?? [], 'envFrom').map((e) => obj(e, 'envFrom'))) {
        if (source.secretRef) refs.push({ kind: 'Secret', ref: obj(source.secretRef, 'ref') });
        if (source.configMapRef) refs.push({ kind: 'ConfigMap', ref: obj(source.configMapRef, 'ref') });
      }
    }
    for (const volume of list(pod.volumes ?? [], 'volumes').map((v) => obj(v, 'volume'))) {
      if (volume.secret)
        refs.push({
          kind: 'Secret',
          ref: { ...obj(volume.secret, 'secret'), name: obj(volume.secret, 's').secretName },
        });
      if (volume.configMap) refs.push({ kind: 'ConfigMap', ref: obj(volume.configMap, 'configMap') });
    }
    assert.ok(refs.filter((r) => r.kind === 'Secret').length >= 2 && refs.some((r) => r.kind === 'ConfigMap'));
    for (const { kind, ref, key } of refs) {
      const doc = defined(kind, ref.name);
      assert.ok(doc, `${kind} ${String(ref.name)} is defined in deploy/kubernetes`);
      if (key !== undefined && ref.optional !== true)
        assert.ok(keysOf(doc).includes(key), `${kind} ${String(ref.name)} has key ${key}`);
    }
  });
});
