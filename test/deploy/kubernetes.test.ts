// Every manifest under deploy/kubernetes validated against the Kubernetes API schemas (kubernetes-models,
// which ships them compiled, so this runs offline), then checked for what the deployment guide promises:
// the restricted Pod security profile, resource requests, probes on the programs' health routes, secrets
// that exist, settings the programs know, and client profiles the tunnel-client accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { SETTINGS, resolveConfig } from '@mcp-tunnel/client';
import { knownServiceEnvironment } from './support.ts';

const DIR = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

const manifests = readdirSync(DIR)
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => ({
    file,
    docs: parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
      assert.deepEqual(doc.errors, [], `${file} is valid YAML`);
      return doc.toJS() as Manifest;
    }),
  }));

/** The kubernetes-models class for a manifest: `apps/v1` Deployment is kubernetes-models/apps/v1/Deployment. */
async function modelOf(doc: Manifest) {
  const module = (await import(`kubernetes-models/${doc.apiVersion}/${doc.kind}`)) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  return module[doc.kind]!;
}

const podSpecOf = (doc: Manifest) => doc.spec?.template?.spec;
const CLIENT_ENV = new Set(['CONTROL_PLANE_API_KEY', ...SETTINGS.map((setting) => setting.env)]);

test('there are manifests for the client as sidecar and dedicated, and the service single-node and cluster', () => {
  assert.deepEqual(manifests.map((m) => m.file).sort(), [
    'client-dedicated.yaml',
    'client-sidecar.yaml',
    'service-cluster.yaml',
    'service-ingress.yaml',
    'service-single-node.yaml',
  ]);
});

for (const { file, docs } of manifests) {
  test(`${file} is valid against the Kubernetes schemas`, async () => {
    for (const doc of docs) {
      const Model = await modelOf(doc);
      assert.doesNotThrow(() => new Model(doc).validate(), `${doc.kind} ${doc.metadata?.name}`);
    }
  });

  test(`${file} runs every container restricted, with requests, probes, known settings and existing secrets`, () => {
    const secrets = new Map(
      docs.filter((d) => d.kind === 'Secret').map((d) => [d.metadata.name, Object.keys(d.stringData)]),
    );
    for (const doc of docs.filter(podSpecOf)) {
      const pod = podSpecOf(doc);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
      assert.equal(pod.automountServiceAccountToken, false);
      for (const container of pod.containers) {
        const where = `${file} ${doc.kind}/${doc.metadata.name} container ${container.name}`;
        assert.equal(container.securityContext.allowPrivilegeEscalation, false, where);
        assert.equal(container.securityContext.readOnlyRootFilesystem, true, where);
        assert.deepEqual(container.securityContext.capabilities.drop, ['ALL'], where);
        assert.ok(container.resources.requests.cpu && container.resources.requests.memory, where);
        for (const { valueFrom } of container.env ?? [])
          if (valueFrom?.secretKeyRef)
            assert.ok(
              secrets.get(valueFrom.secretKeyRef.name)?.includes(valueFrom.secretKeyRef.key),
              `${where}: secret ${valueFrom.secretKeyRef.name} has ${valueFrom.secretKeyRef.key}`,
            );
        const program = /mcp-tunnel\/(tunnel-client|tunnel-service):/.exec(container.image)?.[1];
        if (!program) continue;
        // The single executable unpacks its files into /tmp: it must be a writable volume.
        assert.ok(
          container.volumeMounts.some((m: Manifest) => m.mountPath === '/tmp'),
          `${where} mounts /tmp`,
        );
        const probes = [container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path];
        const known = program === 'tunnel-client' ? CLIENT_ENV : knownServiceEnvironment();
        assert.deepEqual(
          probes,
          program === 'tunnel-client' ? ['/healthz', '/readyz'] : ['/healthz', '/healthz'],
        );
        for (const { name } of container.env ?? [])
          assert.ok(known.has(name), `${where}: ${name} is a setting`);
      }
    }
  });
}

test('the client profiles in ConfigMaps are ones tunnel-client accepts', () => {
  const profiles = manifests.flatMap(({ file, docs }) =>
    docs.filter((d) => d.kind === 'ConfigMap').map((d) => ({ file, text: d.data['profile.yaml'] as string })),
  );
  assert.equal(profiles.length, 2);
  for (const { file, text } of profiles) {
    const config = resolveConfig({
      file: { data: parseAllDocuments(text)[0]!.toJS(), path: file },
      env: { CONTROL_PLANE_API_KEY: 'from-the-secret' },
    });
    // Probes come from the kubelet, so the ops server must listen beyond loopback.
    assert.equal(config.health.listenAddr, '0.0.0.0:8080', file);
  }
});
