import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES, ERROR_CODES } from '@roam/gateway';
import { ROOT } from '../support/stack';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 4);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README tells the truth', () => {
  it('the "Error codes" table lists exactly the codes in gateway/src/errors.ts, with their HTTP status', () => {
    const rows = [...section('Error codes').matchAll(/^\| `([A-Z_]+)` \| (\d{3})/gm)].map((m) => [m[1], Number(m[2])]);
    const documented = Object.fromEntries(rows);
    const actual = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, def]) => [code, def.status]));
    expect(documented).toEqual(actual);
  });

  it('every gateway setting is documented in the README', () => {
    const missing = CONFIG_VARIABLES.filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('names the two set-up commands', () => {
    expect(readme).toMatch(/npm install && npm start/);
    expect(readme).toMatch(/npm test/);
  });
});
