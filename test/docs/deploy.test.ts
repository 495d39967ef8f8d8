import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { GatewayMetrics } from '@roam/gateway';
import { SUBGRAPHS } from '@roam/subgraph-registry';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../support/stack';

// docker-compose.yml, Dockerfile and deploy/supergraph.graphql are generated from the registry of
// reference subgraphs and the npm workspaces by `npm run generate:deploy` (scripts/deploy.js).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS script module
const { DEPLOY_FILES } = require(join(ROOT, 'scripts/deploy.js')) as { DEPLOY_FILES: Record<string, () => string> };

describe('generated deployment files are up to date', () => {
  it.each(Object.keys(DEPLOY_FILES))('%s is what `npm run generate:deploy` makes', (file) => {
    expect(readFileSync(join(ROOT, file), 'utf8')).toBe(DEPLOY_FILES[file]!());
  });

  it('docker-compose.yml has one service per registry subgraph, on its port, and the gateway waits for each', () => {
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    for (const s of SUBGRAPHS) {
      expect(compose).toContain(`  ${s.name}:\n    build: .\n    command: ["node", "${s.main}"]`);
      expect(compose).toContain(`ports: ["${s.port}:${s.port}"]`);
      expect(compose).toContain(`      ${s.name}: { condition: service_healthy }`);
    }
    const deploySupergraph = readFileSync(join(ROOT, 'deploy/supergraph.graphql'), 'utf8');
    for (const s of SUBGRAPHS) expect(deploySupergraph).toContain(`@join__graph(name: "${s.name}", url: "http://${s.name}:${s.port}/graphql")`);
  });

  it('`generate:deploy --check` passes on the committed files', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/generateDeploy.js'), '--check'], { encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });
});

// Issue 15 item 4: the Grafana dashboard and the Prometheus scrape config of docker-compose's observability profile.
describe('observability deployment files', () => {
  const metrics = new GatewayMetrics({ clientNames: [], maxClientVersions: 1 });
  /** Each exported metric's label names (histograms add `le` to their `_bucket` series). */
  const exported = new Map<string, Set<string>>();
  beforeAll(async () => {
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      const labels = new Set<string>((metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? []);
      if (String(m.type) === 'histogram') {
        for (const suffix of ['_sum', '_count']) exported.set(m.name + suffix, labels);
        exported.set(`${m.name}_bucket`, new Set([...labels, 'le']));
      } else exported.set(m.name, labels);
    }
  });
  // PromQL words that are not metric or label names.
  const PROMQL = new Set([
    'sum',
    'max',
    'min',
    'avg',
    'by',
    'without',
    'rate',
    'irate',
    'increase',
    'histogram_quantile',
    'on',
    'ignoring',
    'group_left',
    'group_right',
    'bool',
    'and',
    'or',
    'unless',
  ]);
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards/roam.json'), 'utf8')) as {
    uid: string;
    panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
    templating: { list: { query: { query: string } }[] };
  };
  const graphs = dashboard.panels.filter((p) => p.type !== 'row');

  it('the dashboard queries only metrics Roam exports, with their labels, and covers every Roam metric', () => {
    expect(exported.has('roam_requests_total')).toBe(true);
    expect(exported.has('roam_subgraph_breaker_state')).toBe(true);
    expect(graphs.length).toBeGreaterThanOrEqual(15);
    const queried = new Set<string>();
    const problems: string[] = [];
    const exprs = [...graphs.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))), ...dashboard.templating.list.map((v) => ({ where: 'variable', expr: v.query.query }))];
    for (const { where, expr } of exprs) {
      // strip strings, range selectors and Grafana variables; what is left is functions, metric names and label names
      const bare = expr
        .replace(/"[^"]*"/g, '""')
        .replace(/\[[^\]]*\]/g, '')
        .replace(/\$\w+/g, '');
      const names = [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL.has(w) && w !== 'label_values');
      const used = names.filter((w) => /^(roam|process|nodejs)_/.test(w));
      if (used.length === 0) problems.push(`${where}: no metric in ${expr}`);
      for (const name of used) {
        if (!exported.has(name)) problems.push(`${where}: ${name} is not exported`);
        queried.add(name.replace(/_(bucket|sum|count)$/, ''));
      }
      const labels = new Set(used.flatMap((n) => [...(exported.get(n) ?? [])]));
      for (const label of names.filter((w) => !used.includes(w) && w !== 'instance' && w !== 'job')) {
        if (!labels.has(label)) problems.push(`${where}: label ${label} is not a label of ${used.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
    const roamMetrics = [...exported.keys()].filter((n) => n.startsWith('roam_')).map((n) => n.replace(/_(bucket|sum|count)$/, ''));
    expect(roamMetrics.filter((n) => !queried.has(n))).toEqual([]);
  });

  it('every panel reads the provisioned Prometheus data source', () => {
    const datasources = parseYaml(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: { uid: string; type: string; url: string }[] };
    expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: `http://prometheus:9090` })]);
    for (const p of graphs) expect({ panel: p.title, uid: p.datasource?.uid }).toEqual({ panel: p.title, uid: datasources.datasources[0]!.uid });
    const providers = parseYaml(readFileSync(join(ROOT, 'deploy/grafana/provisioning/dashboards/roam.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
    expect(providers.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
  });

  it("Prometheus scrapes the compose gateway's /metrics, and compose runs Prometheus and Grafana only under the observability profile", () => {
    const prometheus = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    expect(prometheus.scrape_configs).toEqual([{ job_name: 'roam-gateway', metrics_path: '/metrics', static_configs: [{ targets: ['gateway:4000'] }] }]);
    const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { profiles?: string[]; volumes?: string[]; ports?: string[]; environment?: Record<string, string> }>;
    };
    expect(compose.services.gateway!.environment!.PORT).toBe('4000');
    expect(compose.services.gateway!.environment!.METRICS ?? 'on').toBe('on');
    expect(compose.services.prometheus).toMatchObject({ profiles: ['observability'], volumes: ['./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro'], ports: ['9090:9090'] });
    expect(compose.services.grafana).toMatchObject({ profiles: ['observability'], ports: ['3000:3000'] });
    expect(compose.services.grafana!.volumes).toEqual(['./deploy/grafana/provisioning:/etc/grafana/provisioning:ro', './deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro']);
    // every other service runs without the profile
    for (const [name, service] of Object.entries(compose.services))
      if (name !== 'prometheus' && name !== 'grafana') expect({ name, profiles: service.profiles }).toEqual({ name, profiles: undefined });
  });
});
