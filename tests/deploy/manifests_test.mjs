// The Kubernetes manifests, as an operator would apply them: every overlay renders with `kubectl kustomize`,
// every object passes the Kubernetes API schemas (kubernetes-models' validators, generated from the
// upstream OpenAPI), and every workload keeps our rules (manifest_policy.mjs). Each check is first shown to
// fail on a broken copy, so a check that cannot fail is caught here too.
//   node tests/deploy/manifests_test.mjs   (SHOUHU_BUILD_DIR: which services have a binary)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { policyViolations } from './manifest_policy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const build = process.env.SHOUHU_BUILD_DIR || path.join(root, 'build');
const overlaysDir = path.join(root, 'deploy/k8s/overlays');
let failures = 0;
const fail = (message) => { failures += 1; console.log(`FAIL ${message}`); };
const pass = (message) => console.log(`ok   ${message}`);

function render(dir) {
  const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return parseAllDocuments(text).map((doc) => doc.toJS()).filter(Boolean);
}

// kubernetes-models: one module per API group/version, one class per kind, each with the schema's validator.
async function schemaErrors(object) {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [null, object.apiVersion];
  const module = await import(`kubernetes-models/${group ? `${group}/` : ''}${version}`).catch(() => null);
  const Model = module && module[object.kind];
  if (!Model) return [`no schema for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [String(error.message || error).split('\n').slice(0, 6).join(' | ')];
  }
}

const name = (object) => `${object.kind}/${object.metadata?.name}`;
const builtServices = ['registry', 'training', 'visits', 'allowance', 'gateway'].filter((svc) =>
  existsSync(path.join(build, 'services', svc, `shouhu-${svc}`)));

// The validator and the policy must each reject a broken object before their silence means anything.
async function checksCanFail(objects) {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'registry');
  const broken = structuredClone(deployment);
  broken.spec.replicas = 'two';
  broken.spec.template.spec.containers[0].ports[0].containerPort = 'grpc';
  if ((await schemaErrors(broken)).length === 0) fail('schema validation accepts replicas "two" and a port name as number');
  else pass('schema validation rejects a Deployment with replicas "two"');

  // Each broken copy, and what the policy must say about it.
  const mutations = {
    'no readiness probe': [(d) => { delete d.spec.template.spec.containers[0].readinessProbe; }, 'no readinessProbe'],
    'an HTTP liveness probe': [(d) => { d.spec.template.spec.containers[0].livenessProbe = { httpGet: { port: 9151, path: '/metrics' } }; }, 'not a gRPC health probe'],
    'no memory limit': [(d) => { delete d.spec.template.spec.containers[0].resources.limits.memory; }, 'no memory limit'],
    'root filesystem writable': [(d) => { d.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false; }, 'not read-only'],
    'runs as root': [(d) => { d.spec.template.spec.securityContext.runAsUser = 0; }, 'runs as root'],
    'capabilities kept': [(d) => { delete d.spec.template.spec.initContainers[0].securityContext.capabilities; }, 'capabilities not dropped'],
    'latest tag': [(d) => { d.spec.template.spec.containers[0].image = 'shouhu/registry:latest'; }, 'latest tag'],
    'token automounted': [(d) => { d.spec.template.spec.automountServiceAccountToken = true; }, 'service-account token'],
    'gRPC port other than its setting': [(d) => { d.spec.template.spec.containers[0].ports[0].containerPort = 50059; }, 'SHOUHU_GRPC_ADDRESS'],
    'its gRPC port left to outgoing connections': [(d) => { delete d.spec.template.spec.securityContext.sysctls; }, 'ip_local_reserved_ports'],
    'another port reserved than its gRPC port': [(d) => { d.spec.template.spec.securityContext.sysctls[0].value = '50050,50052-50054'; }, 'ip_local_reserved_ports'],
    'a pod no policy admits to': [(d) => { d.spec.template.metadata.labels['app.kubernetes.io/name'] = 'stray'; d.spec.selector.matchLabels['app.kubernetes.io/name'] = 'stray'; }, 'no NetworkPolicy admits'],
  };
  for (const [what, [mutate, expected]] of Object.entries(mutations)) {
    const copy = structuredClone(objects);
    mutate(copy.find((o) => o.kind === 'Deployment' && o.metadata.name === 'registry'));
    const found = policyViolations(copy, { overlay: 'dev', builtServices }).filter((v) => v.includes(expected));
    if (found.length === 0) fail(`policy misses a Deployment with ${what} (expected "${expected}")`);
    else pass(`policy catches ${what}: ${found[0]}`);
  }
  const unlimited = structuredClone(objects);
  delete unlimited.find((o) => o.kind === 'Ingress' && o.metadata.name === 'gateway-grpc').metadata.annotations['nginx.ingress.kubernetes.io/limit-rps'];
  if (!policyViolations(unlimited, { overlay: 'dev', builtServices }).some((v) => v.includes('no rate limit per client address'))) {
    fail('policy misses an Ingress without a rate limit per client address');
  } else pass('policy catches an Ingress without a rate limit per client address');
  const unforwarded = structuredClone(objects);
  for (const c of unforwarded.filter((o) => o.kind === 'ConfigMap')) delete c.data?.SHOUHU_FORWARDED_BY;
  if (!policyViolations(unforwarded, { overlay: 'dev', builtServices }).some((v) => v.includes('SHOUHU_FORWARDED_BY'))) {
    fail('policy misses a gateway behind an Ingress without SHOUHU_FORWARDED_BY');
  } else pass('policy catches a gateway behind an Ingress without SHOUHU_FORWARDED_BY');
  const open = structuredClone(objects);
  open.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'registry-ingress').spec.ingress.push({ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] });
  if (!policyViolations(open, { overlay: 'dev', builtServices }).some((v) => v.includes('admits an address block'))) {
    fail('policy misses the registry opened to every address');
  } else pass('policy catches the registry opened to every address');
}

// The galera checks, each shown to fail on a broken copy of the overlay.
function galeraChecksCanFail(objects) {
  const set = (copy) => copy.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'mariadb-galera');
  const script = (copy) => copy.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('mariadb-galera')).data;
  const mutations = {
    'two nodes': [(c) => { set(c).spec.replicas = 2; }, 'not 3'],
    'no volumes': [(c) => { delete set(c).spec.volumeClaimTemplates; }, 'no persistent volumes'],
    'a node missing from the cluster address': [(c) => { script(c)['start.sh'] = script(c)['start.sh'].replace('mariadb-galera-2.mariadb-galera', ''); }, 'does not name'],
    'rsync state transfer': [(c) => { script(c)['start.sh'] = script(c)['start.sh'].replace('wsrep_sst_method=mariabackup', 'wsrep_sst_method=rsync'); }, 'not mariabackup'],
    'readiness on a bare connect': [(c) => { set(c).spec.template.spec.containers[0].readinessProbe.exec.command = ['healthcheck.sh', '--connect']; }, 'not wsrep_ready'],
    'a fixed buffer pool': [(c) => { set(c).spec.template.spec.containers[0].env = set(c).spec.template.spec.containers[0].env.filter((e) => e.name !== 'MEMORY_LIMIT_BYTES'); }, 'memory limit'],
    'MariaDB\'s default 151 connections': [(c) => { set(c).spec.template.spec.containers[0].env.find((e) => e.name === 'MAX_CONNECTIONS').value = '151'; }, 'max_connections 151'],
    'the gateway allowed more replicas': [(c) => { c.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'gateway').spec.maxReplicas = 20; }, 'max_connections'],
  };
  for (const [what, [mutate, expected]] of Object.entries(mutations)) {
    const copy = structuredClone(objects);
    mutate(copy);
    const found = policyViolations(copy, { overlay: 'galera', builtServices }).filter((v) => v.includes(expected));
    if (found.length === 0) fail(`policy misses a galera overlay with ${what} (expected "${expected}")`);
    else pass(`policy catches a galera overlay with ${what}: ${found[0]}`);
  }
}

const overlays = readdirSync(overlaysDir).filter((d) => existsSync(path.join(overlaysDir, d, 'kustomization.yaml')));
for (const overlay of ['dev', 'prod', 'dev-pii-rekey', 'prod-pii-rekey', 'galera']) {
  if (!overlays.includes(overlay)) fail(`overlay ${overlay} is missing`);
}
for (const overlay of overlays) {
  let objects;
  try {
    objects = render(path.join(overlaysDir, overlay));
    pass(`${overlay}: kubectl kustomize renders ${objects.length} objects`);
  } catch (error) {
    fail(`${overlay}: kubectl kustomize failed: ${error.message}`);
    continue;
  }
  let invalid = 0;
  for (const object of objects) {
    for (const error of await schemaErrors(object)) { invalid += 1; fail(`${overlay}: ${name(object)}: ${error}`); }
  }
  if (invalid === 0) pass(`${overlay}: all ${objects.length} objects match the Kubernetes API schemas`);
  const violations = policyViolations(objects, { overlay, builtServices });
  for (const v of violations) fail(`${overlay}: ${v}`);
  if (violations.length === 0) pass(`${overlay}: every workload keeps the policy`);
  if (overlay === 'dev') await checksCanFail(objects);
  if (overlay === 'galera') galeraChecksCanFail(objects);
}

// kustomize reads no file outside the base, so the gateway's policy is a copy: it must stay the same.
const policyCopy = readFileSync(path.join(root, 'deploy/k8s/base/gateway/policy.json'), 'utf8');
const policyLocal = readFileSync(path.join(root, 'deploy/local/gateway/policy.json'), 'utf8');
if (policyCopy !== policyLocal) fail('deploy/k8s/base/gateway/policy.json differs from deploy/local/gateway/policy.json');
else pass('the gateway policy in the base is the local stack\'s');

console.log(failures === 0 ? 'PASS manifests' : `FAILED: ${failures} problem(s)`);
process.exit(failures === 0 ? 0 : 1);
