#!/usr/bin/env node
import { runCli } from './runCli';

/** `roam-pq` (`npx roam-pq`): see {@link runCli}. Exits with its code. */
void runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
