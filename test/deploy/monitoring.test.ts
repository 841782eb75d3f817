import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { observation, source } from '../support/builders.js';
import { parsePrometheusText } from '../support/prom-text.js';
import { startServer, type TestServer } from '../support/server.js';

/** deploy/ from dist/test/deploy/ and test/deploy/ alike: three levels up is the checkout. */
const read = (name: string) => readFileSync(new URL(`../../../deploy/${name}`, import.meta.url), 'utf8');
const TOKEN = 'deploy-test-token-' + 'z'.repeat(20);

/** The metric names a PromQL expression reads: ours, Node's and the process's (label values in quotes left out). */
const metricNames = (expr: string) => [...expr.replace(/"[^"]*"/g, '""').matchAll(/\b(?:socd|nodejs|process)_[a-zA-Z0-9_]+\b/g)].map((m) => m[0]);

interface Rule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }

/**
 * The monitoring files of deploy/ (README "Metrics") are valid (YAML and JSON parse, with the shapes Prometheus,
 * Grafana and Compose expect), and every metric their expressions read is one a real server exposes.
 */
describe('deploy/ monitoring: Prometheus, alert rules, Grafana dashboard, Compose profile', () => {
  let srv: TestServer;
  let exposed: Set<string>;
  before(async () => {
    srv = await startServer((c) => {
      c.metrics = { token: TOKEN, allow: [], allowText: [] };
    });
    // Figures for every family: a source with a run and a success, IOCs.
    const feed = CATALOG[0]!.id;
    await srv.store.upsertSource(source({ id: feed }));
    await srv.store.upsertObservations(feed, [observation({ type: 'domain', value: 'bad.example.net' })], Date.now());
    const run = await srv.store.startRun(feed, Date.now());
    await srv.store.finishRun(run, {
      outcome: 'ok', records: 1, inserted: 1, updated: 0, unchanged: 0, delisted: 0, rejected: 0, excluded: 0, allowlisted: 0, bytes: 10,
      error: null, etag: null, lastModified: null, finishedAt: Date.now(),
    });
    // A request answered: the request histogram has samples.
    assert.equal((await fetch(`${srv.base}/healthz`)).status, 200);
    const res = await fetch(`${srv.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    const families = parsePrometheusText(await res.text());
    exposed = new Set([...families.keys(), ...[...families.values()].flatMap((f) => f.samples.map((s) => s.name))]);
  });
  after(() => srv.close());

  it('alerts.yml: groups of rules with the alerts the issue asks for, each reading metrics the server exposes', () => {
    const doc = parse(read('alerts.yml')) as { groups: Array<{ name: string; rules: Rule[] }> };
    const rules = doc.groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.alert).sort(), [
      'SocdDatabasePoolWaiting', 'SocdEventLoopLag', 'SocdHigh5xxRate', 'SocdIngestionStopped', 'SocdSourceFailing', 'SocdSourceNeverSucceeded',
      'SocdSourceStale', 'SocdStoreUnreadable', 'SocdTargetDown',
    ]);
    for (const r of rules) {
      assert.equal(typeof r.expr, 'string', r.alert);
      assert.match(r.for ?? '', /^\d+[smh]$/, `${r.alert} for`);
      assert.ok(['warning', 'critical'].includes(r.labels?.severity ?? ''), `${r.alert} severity`);
      assert.ok(r.annotations?.summary, `${r.alert} summary`);
      // Parentheses balance: a cheap check that the expression is not cut.
      let depth = 0;
      for (const c of r.expr) depth += c === '(' ? 1 : c === ')' ? -1 : 0;
      assert.equal(depth, 0, `${r.alert}: ${r.expr}`);
      for (const name of metricNames(r.expr)) assert.ok(exposed.has(name), `${r.alert} reads ${name}, which /metrics does not expose`);
    }
    assert.ok(rules.filter((r) => metricNames(r.expr).length > 0).length >= 8);
  });

  it('prometheus.yml: scrapes /metrics of both nodes with the token from a file, and loads the rules', () => {
    const doc = parse(read('prometheus.yml')) as { rule_files: string[]; scrape_configs: Array<Record<string, any>> };
    assert.deepEqual(doc.rule_files, ['/etc/prometheus/alerts.yml']);
    const job = doc.scrape_configs.find((j) => j.job_name === 'socd')!;
    assert.equal(job.metrics_path, '/metrics');
    assert.equal(job.authorization.type, 'Bearer');
    assert.equal(typeof job.authorization.credentials_file, 'string');
    assert.deepEqual(job.static_configs[0].targets, ['api1:8080', 'api2:8080']);
  });

  it('grafana-dashboard.json: every panel queries metrics the server exposes, from the provisioned data source', () => {
    const dash = JSON.parse(read('grafana-dashboard.json')) as { uid: string; panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }> };
    const ds = parse(read('grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ uid: string; url: string }> };
    assert.equal(ds.datasources[0]!.url, 'http://prometheus:9090');
    assert.ok(dash.panels.length >= 10);
    for (const p of dash.panels) {
      assert.equal(p.datasource.uid, ds.datasources[0]!.uid, p.title);
      assert.ok(p.targets.length > 0, p.title);
      for (const t of p.targets) {
        const names = metricNames(t.expr);
        assert.ok(names.length > 0, `${p.title}: ${t.expr}`);
        for (const name of names) assert.ok(exposed.has(name), `${p.title} reads ${name}, which /metrics does not expose`);
      }
    }
  });

  it('docker-compose.yml: prometheus and grafana only under the monitoring profile, on loopback, with the files of deploy/', () => {
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, { profiles?: string[]; ports?: string[]; volumes?: string[] }> };
    for (const name of ['prometheus', 'grafana']) {
      const s = compose.services[name]!;
      assert.deepEqual(s.profiles, ['monitoring'], name);
      assert.ok(s.ports!.every((p) => p.startsWith('127.0.0.1:')), `${name} publishes on loopback only`);
    }
    assert.ok(compose.services.prometheus!.volumes!.includes('./prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
    assert.ok(compose.services.prometheus!.volumes!.includes('./alerts.yml:/etc/prometheus/alerts.yml:ro'));
    assert.ok(compose.services.grafana!.volumes!.some((v) => v.startsWith('./grafana-dashboard.json:')));
    for (const [name, s] of Object.entries(compose.services)) if (!['prometheus', 'grafana'].includes(name)) assert.equal(s.profiles, undefined, name);
    assert.match(read('Caddyfile'), /respond \/metrics 404/, 'the public proxy does not serve /metrics');
  });
});
