import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUBGRAPHS } from '@roam/subgraph-registry';
import { ROOT } from '../support/stack';

describe('README Ports section is the registry', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const ports = readme.slice(readme.indexOf('## Ports'), readme.indexOf('\n## ', readme.indexOf('## Ports') + 1));
  const rows = ports.split('\n').filter((l) => /^\| \d+ \|/.test(l));

  it('has one row per registry subgraph with its port and port variable, and no other subgraph rows', () => {
    for (const s of SUBGRAPHS) {
      const row = rows.find((r) => r.startsWith(`| ${s.port} | ${s.name} subgraph (`));
      expect({ name: s.name, row: row ?? null, variable: row?.includes(`\`${s.portVariable}\``) }).toEqual({ name: s.name, row: expect.any(String), variable: true });
    }
    expect(rows.filter((r) => r.includes(' subgraph (')).length).toBe(SUBGRAPHS.length);
  });

  it("the settings table lists each subgraph's default port", () => {
    const line = readme.split('\n').find((l) => l.startsWith('| `PORT` / `--port` |'))!;
    for (const s of SUBGRAPHS) expect(line).toContain(`${s.port} ${s.name}`);
  });
});
