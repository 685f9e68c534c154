// The deploy files (Dockerfile, compose, Kubernetes, systemd, cron, the example config) as far as
// they can be proven without a Docker engine or a cluster: they parse, load through the real
// config loader, and agree with each other and with the repository (ports, paths, UIDs, names).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { flagValue, list, load, obj, portOf, read, str } from '../support/deploy-files.ts';
import type { Obj } from '../support/deploy-files.ts';

describe('deploy/kubernetes', () => {
  const docs = ['deployment.yaml', 'configmap.yaml', 'secret.example.yaml'].flatMap((name) =>
    parseAllDocuments(read(`deploy/kubernetes/${name}`)).map((doc) => {
      assert.deepEqual(doc.errors, [], `${name} parses`);
      return obj(doc.toJS(), name);
    }),
  );
  const ofKind = (kind: string): Obj => {
    const found = docs.filter((doc) => doc.kind === kind);
    assert.equal(found.length, 1, `exactly one ${kind}`);
    return found[0] as Obj;
  };
  const deployment = ofKind('Deployment');
  const configMap = ofKind('ConfigMap');
  const secret = ofKind('Secret');
  const template = obj(obj(deployment.spec, 'spec').template, 'template');
  const pod = obj(template.spec, 'pod spec');
  const containers = list(pod.containers, 'containers').map((c, i) => obj(c, `containers[${i}]`));
  const sidecar = containers.find((c) => c.name === 'queue-watchdog') ?? assert.fail('no queue-watchdog container');
  const apps = containers.filter((c) => c !== sidecar);
  const args = list(sidecar.args, 'sidecar args');
  const port = portOf(flagValue(args, '--listen') ?? '127.0.0.1:9464');
  const envOf = (container: Obj): Obj[] => list(container.env ?? [], 'env').map((e) => obj(e, 'env entry'));
  const uidOf = (container: Obj): unknown =>
    obj(container.securityContext ?? {}, 'sc').runAsUser ?? obj(pod.securityContext ?? {}, 'pod sc').runAsUser;

  it('shares the process namespace, and the sidecar runs as the app container UID, not root', () => {
    assert.equal(pod.shareProcessNamespace, true);
    assert.equal(apps.length, 1, 'one app container');
    assert.equal(typeof uidOf(sidecar), 'number');
    assert.notEqual(uidOf(sidecar), 0);
    assert.equal(uidOf(sidecar), uidOf(apps[0] as Obj));
  });

  it('locks the sidecar down: read-only root, no escalation, every capability dropped, none added', () => {
    const sc = obj(sidecar.securityContext, 'sidecar securityContext');
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.equal(sc.runAsNonRoot, true);
    const caps = obj(sc.capabilities, 'capabilities');
    assert.deepEqual(caps.drop, ['ALL']);
    assert.equal(caps.add, undefined);
  });

  it('probes /healthz and /readyz, and annotates /metrics, on the port the args listen on', () => {
    assert.equal(args[0], 'run');
    const probe = (name: string): Obj => obj(obj(sidecar[name], name).httpGet, `${name}.httpGet`);
    assert.deepEqual([probe('livenessProbe').path, probe('livenessProbe').port], ['/healthz', port]);
    assert.deepEqual([probe('readinessProbe').path, probe('readinessProbe').port], ['/readyz', port]);
    const declared = list(sidecar.ports, 'ports').map((p) => obj(p, 'port').containerPort);
    assert.ok(declared.includes(port), 'the container declares the port');
    const annotations = obj(obj(template.metadata, 'metadata').annotations, 'annotations');
    assert.deepEqual(
      [annotations['prometheus.io/scrape'], annotations['prometheus.io/port'], annotations['prometheus.io/path']],
      ['true', String(port), '/metrics'],
    );
  });

  it('takes every secretKeyRef from the Secret, by its name and keys', () => {
    const keys = Object.keys(obj(secret.stringData ?? secret.data, 'secret data'));
    const refs = containers
      .flatMap(envOf)
      .flatMap((e) => (e.valueFrom ? [obj(obj(e.valueFrom, 'valueFrom').secretKeyRef, 'secretKeyRef')] : []));
    assert.ok(refs.length >= 2, 'REDIS_URL and SENTRY_DSN come from the Secret');
    for (const ref of refs) {
      assert.equal(ref.name, obj(secret.metadata, 'metadata').name);
      assert.ok(keys.includes(str(ref.key, 'key')), `the Secret has key ${String(ref.key)}`);
    }
  });

  it('mounts the ConfigMap where WATCHDOG_CONFIG points, and that config loads with the Secret placeholders', () => {
    const env = Object.fromEntries(
      envOf(sidecar)
        .filter((e) => typeof e.value === 'string')
        .map((e) => [str(e.name, 'name'), str(e.value, 'value')]),
    );
    const path = flagValue(args, '--config') ?? env.WATCHDOG_CONFIG ?? assert.fail('no config path');
    const mount = list(sidecar.volumeMounts, 'volumeMounts')
      .map((m) => obj(m, 'mount'))
      .find((m) => path.startsWith(`${str(m.mountPath, 'mountPath')}/`));
    assert.ok(mount, `a volume is mounted above ${path}`);
    const volume = list(pod.volumes, 'volumes')
      .map((v) => obj(v, 'volume'))
      .find((v) => v.name === mount.name);
    assert.equal(obj(volume?.configMap, 'configMap volume').name, obj(configMap.metadata, 'metadata').name);
    const key = path.slice(str(mount.mountPath, 'mountPath').length + 1);
    const text = str(obj(configMap.data, 'data')[key], `ConfigMap key ${key}`);
    const secrets = obj(secret.stringData, 'stringData');
    const config = load(
      { [path]: text },
      { listen: `0.0.0.0:${port}` },
      {
        ...env,
        REDIS_URL: str(secrets['redis-url'], 'redis-url'),
        SENTRY_DSN: str(secrets['sentry-dsn'], 'sentry-dsn'),
      },
    );
    assert.equal(config.listen.port, port);
    assert.deepEqual(
      config.apps.map((a) => [a.restart?.strategy, a.master.user]),
      [['signal', uidOf(apps[0] as Obj)]],
    );
  });
});
