// The alert rules (deploy/k8s/components/alerts), as an operator would add them: the prod overlay with the
// component renders one PrometheusRule in its namespace; every metric a rule reads is one the code exports;
// promtool accepts the rules and passes their unit tests (alerts.test.yaml), in which every alert fires at least
// once; and each guard the tests rely on is shown to matter: with it taken out of a copy, the tests fail.
//   node tests/deploy/alerts_test.mjs   (promtool: deploy/lib/install-deps unpacks it into .tools/)
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const promtool = process.env.SHOUHU_PROMTOOL || path.join(root, '.tools/promtool/usr/bin/promtool');
const testsFile = path.join(root, 'tests/deploy/alerts.test.yaml');
let failures = 0;
const fail = (message) => { failures += 1; console.log(`FAIL ${message}`); };
const pass = (message) => console.log(`ok   ${message}`);
const work = mkdtempSync(path.join(os.tmpdir(), 'shouhu-alerts-'));

// An overlay of the prod one with the component, as the README tells an operator (the pattern of prod-pii-rekey).
function renderWithAlerts() {
  const dir = path.join(work, 'overlay');
  mkdirSync(dir, { recursive: true });
  const rel = (p) => path.relative(dir, path.join(root, p));
  writeFileSync(path.join(dir, 'kustomization.yaml'), stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: 'shouhu',
    resources: [rel('deploy/k8s/overlays/prod')],
    components: [rel('deploy/k8s/components/alerts')],
  }));
  const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return parseAllDocuments(text).map((doc) => doc.toJS()).filter(Boolean);
}

function sourcesText() {
  const text = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const file = path.join(dir, entry);
      if (statSync(file).isDirectory()) walk(file);
      else if (/\.(cc|h)$/.test(entry)) text.push(readFileSync(file, 'utf8'));
    }
  };
  walk(path.join(root, 'common'));
  walk(path.join(root, 'services'));
  return text.join('\n');
}

// Metric names a rule reads that no service or common file names (a histogram's series by its own name).
function unknownMetrics(groups, sources) {
  const names = new Set();
  for (const group of groups) {
    for (const rule of group.rules) {
      for (const name of String(rule.expr).match(/\bshouhu_[a-z_]+/g) || []) {
        names.add(name.replace(/_(bucket|count|sum)$/, ''));
      }
    }
  }
  return [...names].filter((name) => !sources.includes(name));
}

// promtool's unit tests on these groups; returns [passed, output].
function promtoolTests(groups, label) {
  const dir = mkdtempSync(path.join(work, `${label}-`));
  writeFileSync(path.join(dir, 'shouhu.rules.yaml'), stringify({ groups }));
  copyFileSync(testsFile, path.join(dir, 'alerts.test.yaml'));
  const run = spawnSync(promtool, ['test', 'rules', path.join(dir, 'alerts.test.yaml')], { encoding: 'utf8' });
  return [run.status === 0, `${run.stdout}${run.stderr}`];
}

// A copy of the groups with one rule's expression changed (every occurrence); throws if the text to change is not there, so a
// mutation that no longer applies is a failure, not a silent pass.
function mutated(groups, alert, from, to) {
  const copy = structuredClone(groups);
  const rule = copy.flatMap((g) => g.rules).find((r) => r.alert === alert);
  if (!rule || !String(rule.expr).includes(from)) throw new Error(`${alert}'s expression has no "${from}"`);
  rule.expr = String(rule.expr).replaceAll(from, to);
  return copy;
}

try {
  const objects = renderWithAlerts();
  const rules = objects.filter((o) => o.kind === 'PrometheusRule');
  if (rules.length !== 1) throw new Error(`the prod overlay with the component renders ${rules.length} PrometheusRules`);
  const [rule] = rules;
  if (rule.apiVersion !== 'monitoring.coreos.com/v1') fail(`PrometheusRule apiVersion ${rule.apiVersion}`);
  else if (rule.metadata.namespace !== 'shouhu') fail(`PrometheusRule in namespace ${rule.metadata.namespace}, not the overlay's`);
  else if (!Array.isArray(rule.spec?.groups) || rule.spec.groups.length === 0) fail('PrometheusRule has no groups');
  else pass(`the prod overlay with the component renders PrometheusRule/${rule.metadata.name} in shouhu`);
  const { groups } = rule.spec;
  const alerts = groups.flatMap((g) => g.rules).map((r) => r.alert);

  const sources = sourcesText();
  const unknown = unknownMetrics(groups, sources);
  const madeUp = mutated(groups, 'ShouhuReplicaNotReady', 'shouhu_ready', 'shouhu_made_up_ready');
  if (!unknownMetrics(madeUp, sources).includes('shouhu_made_up_ready')) fail('the metric check accepts a name no code exports');
  else if (unknown.length > 0) fail(`rules read metrics no code exports: ${unknown.join(', ')}`);
  else pass('every metric the rules read is exported by the code (a made-up name is caught)');

  const incomplete = failures;
  for (const r of groups.flatMap((g) => g.rules)) {
    const missing = ['severity'].filter((l) => !r.labels?.[l]).concat(
      ['summary', 'description', 'runbook'].filter((a) => !r.annotations?.[a]));
    if (!['page', 'ticket'].includes(r.labels?.severity)) missing.push('severity page or ticket');
    if (missing.length > 0) fail(`${r.alert}: no ${missing.join(', ')}`);
  }
  if (failures === incomplete) pass(`each of the ${alerts.length} alerts has a severity, a summary, a description and a runbook`);

  const rulesFile = path.join(work, 'shouhu.rules.yaml');
  writeFileSync(rulesFile, stringify({ groups }));
  const check = spawnSync(promtool, ['check', 'rules', rulesFile], { encoding: 'utf8' });
  if (check.status !== 0) fail(`promtool check rules:\n${check.stdout}${check.stderr}`);
  else pass(`promtool check rules: ${check.stdout.trim().split('\n').pop().trim()}`);

  const tests = parse(readFileSync(testsFile, 'utf8')).tests;
  const fired = new Set(tests.flatMap((t) => t.alert_rule_test)
    .filter((c) => (c.exp_alerts || []).length > 0).map((c) => c.alertname));
  const untested = alerts.filter((a) => !fired.has(a));
  if (untested.length > 0) fail(`no test sees these alerts fire: ${untested.join(', ')}`);
  else pass('every alert fires in at least one test');

  const [ok, output] = promtoolTests(groups, 'rules');
  if (!ok) fail(`promtool test rules:\n${output}`);
  else pass(`promtool test rules: ${tests.length} scenarios pass`);

  // Each guard, taken out, must fail the tests.
  const guards = [
    ['ShouhuServiceDown pages when one replica of several is down (min for max)', 'ShouhuServiceDown', 'max by', 'min by'],
    ['ShouhuServerFaults pages for one fault at night (no minimum count)', 'ShouhuServerFaults', '>= 5', '>= 1'],
    ['ShouhuServerFaults counts a caller\'s bad input as a fault', 'ShouhuServerFaults', 'INTERNAL|UNKNOWN|DATA_LOSS',
      'INTERNAL|UNKNOWN|DATA_LOSS|INVALID_ARGUMENT'],
    ['ShouhuCallsTimingOut pages for one slow method among many quick calls (0.5%)', 'ShouhuCallsTimingOut',
      ') > 0.02', ') > 0.005'],
    ['ShouhuEventConsumerStuck pages a consumer that started minutes ago (no offset)', 'ShouhuEventConsumerStuck',
      'and shouhu_event_consumer_checkpoint offset 15m', ''],
    ['ShouhuAccessLogSlow mixes namespaces', 'ShouhuAccessLogSlow', 'by (namespace, service, le)', 'by (service, le)'],
    ['ShouhuGatewayRefusedCallsInBulk tickets a client retrying a wrong token now and then (no minimum)',
      'ShouhuGatewayRefusedCallsInBulk', '[10m]) > 600', '[10m]) > 0'],
    ['ShouhuGatewayTokenKeysNotReloaded pages for one failed reload long past (the count, not its increase)',
      'ShouhuGatewayTokenKeysNotReloaded', 'increase(shouhu_gateway_token_key_reload_failures_total[5m])',
      'shouhu_gateway_token_key_reload_failures_total'],
  ];
  for (const [what, alert, from, to] of guards) {
    const [stillPasses, mutantOutput] = promtoolTests(mutated(groups, alert, from, to), 'mutant');
    // An expectation missed names its alert; a mutant promtool cannot load would fail for no reason of ours.
    if (stillPasses) fail(`the tests still pass when ${what}`);
    else if (!mutantOutput.includes(`alertname: ${alert},`)) fail(`${what}: promtool failed otherwise:\n${mutantOutput}`);
    else pass(`the tests fail when ${what}`);
  }
} catch (error) {
  fail(String(error.stack || error));
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(failures === 0 ? 'PASS' : `${failures} failure(s)`);
process.exit(failures === 0 ? 0 : 1);
