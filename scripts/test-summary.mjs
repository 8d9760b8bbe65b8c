#!/usr/bin/env node
// Sums the vitest JSON reports that `npm test` left in each workspace. Names every skipped test
// (file > test), so that a test which skips itself outside CI (no GL context, no Chromium) shows,
// then ends with one line, "N passed, N failed[, N skipped]", that CI reads whatever the runner's
// own format.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dirs = workspaces.flatMap((pattern) => {
  if (!pattern.endsWith('/*')) return [join(root, pattern)];
  const base = join(root, pattern.slice(0, -2));
  return existsSync(base) ? readdirSync(base).map((d) => join(base, d)) : [];
});

let passed = 0;
let failed = 0;
let skipped = 0;
let reports = 0;
const skippedNames = [];
for (const dir of dirs) {
  const file = join(dir, '.test-report.json');
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  reports++;
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  for (const suite of r.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'passed' || t.status === 'failed') continue;
      const name = [...(t.ancestorTitles ?? []), t.title].join(' > ');
      skippedNames.push(`  ${relative(root, suite.name)} > ${name}${t.status === 'todo' ? ' (todo)' : ''}`);
    }
  }
}
if (reports === 0) {
  console.error('test-summary: no .test-report.json found; run `npm test` first');
  process.exit(1);
}
if (skippedNames.length > 0) {
  console.log(`skipped (${skippedNames.length}):`);
  console.log(skippedNames.join('\n'));
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
