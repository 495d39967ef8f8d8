import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { parse, print } from 'graphql';
import { apiSchemaFromSupergraph, checkManifest, DEFAULT_CHECKS, parseManifest, sha256Hex } from '@roam/persisted-queries';
import { documentHash, documentText, TopProductsQueryDocument, ViewerQueryDocument, type PersistedDocument } from '@roam/example-client';
import { ROOT } from '../support/stack';

const GENERATED = join(ROOT, 'clients/example/src/__generated__');
const MANIFEST_PATH = join(GENERATED, 'persisted-documents.json');

/**
 * Runs GraphQL Code Generator on codegen.yml in a child process (its CLI package loads ESM that Jest's
 * CommonJS runtime cannot) without writing files. @returns what `npm run codegen` would write.
 */
function generateInMemory(): Promise<{ filename: string; content: string }[]> {
  const script = `
    const { generate, loadCodegenConfig } = require('@graphql-codegen/cli');
    loadCodegenConfig({ configFilePath: 'codegen.yml' })
      .then(({ config }) => generate({ ...config, cwd: process.cwd(), silent: true }, false))
      .then((outputs) => process.stdout.write(JSON.stringify(outputs.map(({ filename, content }) => ({ filename, content })))))
      .catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });`;
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, ['-e', script], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`codegen failed: ${stderr}`)) : resolvePromise(JSON.parse(stdout)),
    );
  });
}

describe('codegen.yml output (clients/example/src/__generated__)', () => {
  it('is up to date: `npm run codegen` would write exactly the committed files', async () => {
    const outputs = await generateInMemory();
    expect(outputs.length).toBeGreaterThanOrEqual(3);
    for (const output of outputs) {
      const file = resolve(ROOT, output.filename);
      expect(relative(GENERATED, file).startsWith('..')).toBe(false);
      // a failure here means: run `npm run codegen` and commit the result
      expect({ file: relative(ROOT, file), content: readFileSync(file, 'utf8') }).toEqual({ file: relative(ROOT, file), content: output.content });
    }
  });

  it('manifest, typed documents and gateway agree on the bytes: ids are SHA-256 of the manifest text', () => {
    const raw = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as Record<string, string>;
    const manifest = parseManifest(raw);
    expect(manifest.format).toBe('codegen');
    expect(manifest.entries).toHaveLength(2);
    for (const entry of manifest.entries) expect(entry.id).toBe(sha256Hex(entry.body));
    for (const document of [ViewerQueryDocument, TopProductsQueryDocument] as PersistedDocument<unknown, unknown>[]) {
      const id = documentHash(document);
      expect(sha256Hex(documentText(document))).toBe(id);
      expect(raw[`sha256:${id}`]).toBe(documentText(document));
    }
  });

  it('the fragment operation shows why the client must send the manifest bytes, not a re-print', () => {
    const text = documentText(ViewerQueryDocument);
    expect(text.indexOf('fragment UserFields')).toBeLessThan(text.indexOf('query ViewerQuery'));
    expect(sha256Hex(print(parse(text)))).not.toBe(documentHash(ViewerQueryDocument));
  });

  it('every manifest entry validates against the committed supergraph (what roam-pq push checks)', () => {
    const manifest = parseManifest(JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')));
    const schema = apiSchemaFromSupergraph(readFileSync(join(ROOT, 'supergraph.graphql'), 'utf8'));
    expect(checkManifest(manifest.entries, { schema }, DEFAULT_CHECKS)).toEqual([]);
  });
});
