// Our rules for every workload of a rendered overlay (issue 12), as a pure function over the objects:
// probes, resources, security context, no service-account token, pinned images, a PodDisruptionBudget and
// topology spread for each, an autoscaler for each stateless service, network policies that deny by default
// and admit each pod's callers explicitly, settings that agree with the ports, and no Secret in the tree.
// Returns one line per violation; manifests_test.mjs runs it on every overlay and on broken copies.

const SERVICES = ['registry', 'training', 'visits', 'allowance', 'gateway'];
const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

const podTemplate = (w) => (w.kind === 'CronJob' ? w.spec.jobTemplate.spec.template : w.spec.template);
const appName = (labels) => labels?.['app.kubernetes.io/name'];

// Label selector semantics (matchLabels and the In / NotIn / Exists / DoesNotExist expressions).
function selects(selector, labels) {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels || {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions || []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function portOf(address) {
  const match = /:(\d+)$/.exec(address || '');
  return match ? Number(match[1]) : null;
}

// Linux's default ephemeral range: an outgoing connection may take any port in it before a server listens.
const EPHEMERAL_PORTS = [32768, 60999];

// The ports a pod's net.ipv4.ip_local_reserved_ports holds back from outgoing connections ("50051",
// "50050-50054,50060"), as a predicate.
function reservedPorts(podSecurityContext) {
  const value = (podSecurityContext?.sysctls || []).find((s) => s.name === 'net.ipv4.ip_local_reserved_ports')?.value || '';
  const ranges = value.split(',').filter(Boolean).map((part) => {
    const [low, high] = part.split('-').map(Number);
    return [low, high ?? low];
  });
  return (port) => ranges.some(([low, high]) => port >= low && port <= high);
}

function imageProblems(image, overlay, builtServices) {
  const problems = [];
  const digest = image.includes('@sha256:');
  const lastPart = image.split('@')[0].split('/').pop();
  const tag = lastPart.includes(':') ? lastPart.split(':')[1] : null;
  if (!digest && !tag) problems.push(`image ${image} has neither tag nor digest`);
  if (tag === 'latest') problems.push(`image ${image} uses the latest tag`);
  const svc = SERVICES.find((s) => image.includes(`shouhu/${s}`));
  if (overlay.startsWith('prod') && svc && !digest) {
    // A service whose binary exists must ship by digest; one not written yet cannot have an image.
    if (builtServices.includes(svc)) problems.push(`prod image ${image} is not pinned by digest (deploy/k8s/pin-images prod)`);
    else console.log(`note prod: ${svc} has no binary in the build dir yet, so no digest to pin (${image})`);
  }
  return problems;
}

export function policyViolations(objects, { overlay, builtServices }) {
  const out = [];
  const of = (kind) => objects.filter((o) => o.kind === kind);
  const policies = of('NetworkPolicy');
  const configMaps = of('ConfigMap');

  for (const secret of of('Secret')) out.push(`Secret/${secret.metadata.name} is in the manifests (secrets are referenced, never committed)`);
  const defaultDeny = policies.find((p) => Object.keys(p.spec.podSelector || {}).length === 0 &&
    ['Ingress', 'Egress'].every((t) => (p.spec.policyTypes || []).includes(t)) && !p.spec.ingress && !p.spec.egress);
  if (!defaultDeny) out.push('no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)');
  for (const p of policies) {
    for (const rule of p.spec.ingress || []) {
      if (!rule.from || rule.from.length === 0) out.push(`NetworkPolicy/${p.metadata.name} admits traffic from anywhere`);
      for (const peer of rule.from || []) if (peer.ipBlock) out.push(`NetworkPolicy/${p.metadata.name} admits an address block`);
    }
    for (const rule of p.spec.egress || []) {
      if (!rule.to || rule.to.length === 0) out.push(`NetworkPolicy/${p.metadata.name} allows egress to anywhere`);
      if (!rule.ports || rule.ports.length === 0) out.push(`NetworkPolicy/${p.metadata.name} allows egress on every port`);
      for (const peer of rule.to || []) {
        if (peer.ipBlock && (peer.ipBlock.cidr.endsWith('/0') || !(rule.ports || []).every((x) => x.port === 3306))) {
          out.push(`NetworkPolicy/${p.metadata.name}: an address block is allowed only to a database port`);
        }
      }
    }
  }

  // The way in from outside holds each client address to a rate, and the gateway behind it takes the caller's
  // address from the controller's X-Real-IP (services/gateway/caller_address.h).
  for (const ingress of of('Ingress')) {
    if (!ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/limit-rps']) {
      out.push(`Ingress/${ingress.metadata.name} has no rate limit per client address (limit-rps)`);
    }
  }
  if (of('Ingress').length > 0 && !configMaps.some((c) => c.data?.SHOUHU_FORWARDED_BY)) {
    out.push('the gateway is behind an Ingress but SHOUHU_FORWARDED_BY is not set: every caller would be the controller');
  }

  for (const sa of of('ServiceAccount')) {
    if (sa.automountServiceAccountToken !== false) out.push(`ServiceAccount/${sa.metadata.name} automounts its token`);
  }

  for (const w of objects.filter((o) => WORKLOAD_KINDS.includes(o.kind))) {
    const id = `${w.kind}/${w.metadata.name}`;
    const template = podTemplate(w);
    const spec = template.spec;
    const labels = template.metadata?.labels || {};
    const svc = appName(labels);
    const podSc = spec.securityContext || {};
    if (spec.automountServiceAccountToken !== false) out.push(`${id}: the pod automounts a service-account token`);
    if (podSc.runAsNonRoot !== true) out.push(`${id}: runAsNonRoot is not set`);
    if (podSc.runAsUser === 0) out.push(`${id}: runs as root (runAsUser 0)`);
    if (podSc.seccompProfile?.type !== 'RuntimeDefault') out.push(`${id}: seccompProfile is not RuntimeDefault`);
    const serving = w.kind !== 'Job' && w.kind !== 'CronJob';  // a run-to-completion pod has no probes or budget
    if (!spec.topologySpreadConstraints?.length && w.kind === 'Deployment') out.push(`${id}: no topology spread`);
    if (serving && !of('PodDisruptionBudget').some((pdb) => selects(pdb.spec.selector, labels))) out.push(`${id}: no PodDisruptionBudget`);
    if (w.kind === 'Deployment' && w.spec.replicas !== 0 && !of('HorizontalPodAutoscaler').some((h) => h.spec.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === w.metadata.name)) {
      out.push(`${id}: a stateless service with no HorizontalPodAutoscaler`);
    }

    // Every pod under the default deny, with its callers admitted by an explicit rule on a port it serves.
    const ingressPolicies = policies.filter((p) => (p.spec.policyTypes || []).includes('Ingress') && p.spec.ingress?.length && selects(p.spec.podSelector, labels));
    if (ingressPolicies.length === 0) out.push(`${id}: no NetworkPolicy admits anything to its pods`);
    if (defaultDeny && !selects(defaultDeny.spec.podSelector, labels)) out.push(`${id}: not under the default deny`);
    if (SERVICES.includes(svc)) {
      const callers = ingressPolicies.flatMap((p) => p.spec.ingress).flatMap((r) => r.from || []);
      for (const peer of callers) {
        const fromPod = appName(peer.podSelector?.matchLabels);
        const fromNamespace = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
        if (svc === 'gateway' && fromPod) out.push(`${id}: the gateway admits pods (${fromPod}); only the ingress controller reaches it`);
        if (svc !== 'gateway' && fromNamespace && fromNamespace !== 'monitoring') out.push(`${id}: admits namespace ${fromNamespace}; only the gateway and the services reach it`);
        if (fromPod && !SERVICES.includes(fromPod)) out.push(`${id}: admits ${fromPod}, which is not a Shouhu service`);
      }
      if (svc !== 'gateway' && !callers.some((p) => appName(p.podSelector?.matchLabels) === 'gateway')) out.push(`${id}: the gateway cannot reach it`);
    }

    const containers = [...(spec.initContainers || []).map((c) => [c, true]), ...spec.containers.map((c) => [c, false])];
    for (const [c, init] of containers) {
      const cid = `${id} container ${c.name}`;
      for (const problem of imageProblems(c.image, overlay, builtServices)) out.push(`${cid}: ${problem}`);
      const r = c.resources || {};
      if (!r.requests?.cpu || !r.requests?.memory) out.push(`${cid}: no cpu and memory requests`);
      if (!r.limits?.memory) out.push(`${cid}: no memory limit`);
      const sc = c.securityContext || {};
      if (sc.allowPrivilegeEscalation !== false) out.push(`${cid}: privilege escalation not disabled`);
      if (sc.readOnlyRootFilesystem !== true) out.push(`${cid}: root filesystem not read-only`);
      if (sc.privileged) out.push(`${cid}: privileged`);
      if (!(sc.capabilities?.drop || []).includes('ALL')) out.push(`${cid}: capabilities not dropped`);
      if (sc.runAsUser === 0) out.push(`${cid}: runs as root`);
      if (init || !serving) continue;
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        if (!c[probe]) { out.push(`${cid}: no ${probe}`); continue; }
        if (SERVICES.includes(svc)) {
          const grpcPort = (c.ports || []).find((p) => p.name === 'grpc')?.containerPort;
          if (!c[probe].grpc) out.push(`${cid}: ${probe} is not a gRPC health probe`);
          else if (c[probe].grpc.port !== grpcPort) out.push(`${cid}: ${probe} probes ${c[probe].grpc.port}, not the gRPC port ${grpcPort}`);
        }
      }
      if (SERVICES.includes(svc)) {
        // The ports declared are the ones the settings make the binary listen on.
        const settings = Object.assign({}, ...(c.envFrom || []).map((e) => configMaps.find((m) => m.metadata.name === e.configMapRef?.name)?.data || {}));
        const ports = Object.fromEntries((c.ports || []).map((p) => [p.name, p.containerPort]));
        const reserved = reservedPorts(podSc);
        for (const [portName, port] of Object.entries(ports)) {
          if (port >= EPHEMERAL_PORTS[0] && port <= EPHEMERAL_PORTS[1] && !reserved(port)) {
            out.push(`${cid}: its ${portName} port ${port} is in the ephemeral range and not in the pod's net.ipv4.ip_local_reserved_ports`);
          }
        }
        if (portOf(settings.SHOUHU_GRPC_ADDRESS) !== ports.grpc) out.push(`${cid}: SHOUHU_GRPC_ADDRESS ${settings.SHOUHU_GRPC_ADDRESS} is not the grpc port ${ports.grpc}`);
        if (portOf(settings.SHOUHU_METRICS_ADDRESS) !== ports.metrics) out.push(`${cid}: SHOUHU_METRICS_ADDRESS ${settings.SHOUHU_METRICS_ADDRESS} is not the metrics port ${ports.metrics}`);
        if (svc === 'gateway' && portOf(settings.SHOUHU_HTTP_ADDRESS) !== ports.http) out.push(`${cid}: SHOUHU_HTTP_ADDRESS is not the http port`);
        const service = of('Service').find((s) => s.metadata.name === svc);
        if (!service) out.push(`${id}: no Service`);
        for (const p of service?.spec.ports || []) {
          if (!(p.targetPort in ports)) out.push(`Service/${svc}: targetPort ${p.targetPort} is no port of the pod`);
        }
      }
    }
  }

  for (const ingress of of('Ingress')) {
    if (!ingress.spec.tls?.length) out.push(`Ingress/${ingress.metadata.name}: no TLS`);
    for (const rule of ingress.spec.rules || []) {
      for (const p of rule.http?.paths || []) {
        if (p.backend.service?.name !== 'gateway') out.push(`Ingress/${ingress.metadata.name} exposes ${p.backend.service?.name}; only the gateway is public`);
      }
    }
  }

  const gateway = of('Deployment').find((d) => d.metadata.name === 'gateway');
  if (overlay.startsWith('prod') && gateway) {
    if (gateway.spec.replicas !== 3) out.push('prod: the gateway does not run three replicas');
    if (!gateway.spec.template.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution) out.push('prod: gateway replicas may share a node');
    if (of('StatefulSet').length) out.push('prod: a database runs in the cluster; prod uses external databases');
  }
  if (overlay === 'galera') out.push(...galeraViolations(objects));
  if (overlay.startsWith('dev')) {
    const db = of('StatefulSet').find((s) => s.metadata.name === 'mariadb');
    if (!db?.spec.volumeClaimTemplates?.length) out.push('dev: no MariaDB StatefulSet with a persistent volume');
    // The -pii-rekey twin stops the registry and visits while their Jobs run; otherwise one replica of each.
    const stopped = overlay.endsWith('-pii-rekey') ? ['registry', 'visits'] : [];
    for (const d of of('Deployment')) {
      const expected = stopped.includes(d.metadata.name) ? 0 : 1;
      if (d.spec.replicas !== expected) out.push(`${overlay}: Deployment/${d.metadata.name} runs ${d.spec.replicas} replicas, not ${expected}`);
    }
  }
  return out;
}

// The galera overlay's database: three nodes with their own volumes, named by a headless Service, each listed
// in the cluster address by its pod DNS name, state transfer by mariabackup, readiness on wsrep_ready.
function galeraViolations(objects) {
  const out = [];
  const set = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'mariadb-galera');
  if (!set) return ['galera: no StatefulSet mariadb-galera'];
  if (set.spec.replicas !== 3) out.push(`galera: ${set.spec.replicas} Galera nodes, not 3`);
  if (!set.spec.volumeClaimTemplates?.length) out.push('galera: the nodes have no persistent volumes');
  const headless = objects.find((o) => o.kind === 'Service' && o.metadata.name === set.spec.serviceName);
  if (headless?.spec.clusterIP !== 'None') out.push(`galera: Service ${set.spec.serviceName} is not headless`);
  const scripts = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('mariadb-galera'))?.data || {};
  const start = scripts['start.sh'] || '';
  for (let i = 0; i < 3; i += 1) {
    const dns = `${set.metadata.name}-${i}.${set.spec.serviceName}`;
    if (!start.includes(dns)) out.push(`galera: the cluster address does not name ${dns}`);
  }
  if (!start.includes('wsrep_sst_method=mariabackup')) out.push('galera: state transfer is not mariabackup');
  const container = set.spec.template.spec.containers[0];
  const ready = (container.readinessProbe?.exec?.command || []).join(' ');
  if (!ready.includes('ready.sh') || !(scripts['ready.sh'] || '').includes('wsrep_ready')) {
    out.push('galera: readiness is not wsrep_ready');
  }
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'mariadb');
  if (!service || service.spec.clusterIP === 'None' || service.spec.publishNotReadyAddresses) {
    out.push('galera: the services\' Service mariadb does not route to ready nodes only');
  }
  // Sized from the memory limit (start.sh), and every service's pool at its autoscaler's most may land on one
  // node while the others restart or donate a state transfer: refused connections are calls failed.
  const env = Object.fromEntries((container.env || []).map((e) => [e.name, e]));
  if (env.MEMORY_LIMIT_BYTES?.valueFrom?.resourceFieldRef?.resource !== 'limits.memory' || !start.includes('MEMORY_LIMIT_BYTES')) {
    out.push('galera: the buffer pool is not sized from the container\'s memory limit (MEMORY_LIMIT_BYTES)');
  }
  const connections = Number(env.MAX_CONNECTIONS?.value);
  const pools = poolConnectionsAtMost(objects);
  if (!start.includes('max_connections=${MAX_CONNECTIONS}') || !(connections >= pools.total + CONNECTION_HEADROOM)) {
    out.push(`galera: max_connections ${env.MAX_CONNECTIONS?.value ?? 'unset'} is below the services' pools at their ` +
      `autoscalers' most (${pools.detail} = ${pools.total}) and ${CONNECTION_HEADROOM} for operators and probes`);
  }
  return out;
}

// Connections kept for operators, probes and state transfers beyond the services' pools.
const CONNECTION_HEADROOM = 10;

// Each Deployment's SHOUHU_DB_POOL_SIZE (from its ConfigMaps) times its most replicas (its autoscaler's
// maxReplicas, or its replicas without one).
function poolConnectionsAtMost(objects) {
  let total = 0;
  const parts = [];
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    let pool = 0;
    for (const c of d.spec.template.spec.containers) {
      for (const from of c.envFrom || []) {
        const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef?.name);
        pool = Math.max(pool, Number(map?.data?.SHOUHU_DB_POOL_SIZE || 0));
      }
    }
    if (!pool) continue;
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef?.name === d.metadata.name);
    const replicas = hpa ? hpa.spec.maxReplicas : (d.spec.replicas ?? 1);
    total += replicas * pool;
    parts.push(`${d.metadata.name} ${replicas} x ${pool}`);
  }
  return { total, detail: parts.join(' + ') };
}
