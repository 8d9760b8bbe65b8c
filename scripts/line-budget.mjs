#!/usr/bin/env node
// The line and width budget, in the manner of tinygrad's line count: every git-tracked source file
// (.ts .mts .mjs .astro .py, outside results/) stays within MAX_LINES lines and MAX_COLUMNS columns,
// so that each can be read in one sitting (STYLE.md, convention 2). A file that must stay over, for a
// reason (generated code, unrolled kernels), is listed with that reason in line-budget-allow.json.
// Exits 1 naming each offender, its counts and the fix; `npm test` runs it first.
//
//   node scripts/line-budget.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MAX_LINES = 300;
const MAX_COLUMNS = 120;
const SOURCE = /\.(ts|mts|mjs|astro|py)$/;
const OUTSIDE = [/^results\//];

const root = new URL('..', import.meta.url).pathname;
const allowFile = 'scripts/line-budget-allow.json';

/**
 * A path pattern as a RegExp: `**` matches any run of folders, `*` anything within one name.
 *
 *   glob('packages/models/src/**').test('packages/models/src/sae/topk.ts') // true
 */
function glob(pattern) {
  const body = pattern.split(/(\*\*\/?|\*)/).map((part) => {
    if (part === '**' || part === '**/') return '.*';
    if (part === '*') return '[^/]*';
    return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }).join('');
  return new RegExp(`^${body}$`);
}

/** The allow-list: entries { path, rules?: ['lines' | 'width'] (default both), why }. */
function readAllowList() {
  const { allow } = JSON.parse(readFileSync(join(root, allowFile), 'utf8'));
  for (const [i, e] of allow.entries()) {
    if (typeof e.path !== 'string' || typeof e.why !== 'string' || e.why.trim() === '') {
      throw new Error(`${allowFile}: entry ${i} needs a "path" and a "why" (the reason the file may stay over budget)`);
    }
    for (const r of e.rules ?? []) {
      if (r !== 'lines' && r !== 'width') {
        throw new Error(`${allowFile}: entry ${i} (${e.path}): rule '${r}' is not 'lines' or 'width'`);
      }
    }
  }
  return allow.map((e) => ({ ...e, rules: e.rules ?? ['lines', 'width'], re: glob(e.path), used: false }));
}

/** A file's line count and its lines wider than MAX_COLUMNS (1-based numbers). */
function measure(text) {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const wide = [];
  for (const [i, line] of lines.entries()) {
    const width = [...line.replace(/\t/g, '  ')].length;
    if (width > MAX_COLUMNS) wide.push({ line: i + 1, width });
  }
  return { lines: lines.length, wide };
}

/** The files git tracks here, relative to the root. */
function gitFiles() {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0');
  } catch (e) {
    console.error(`line-budget: cannot list the tracked files (${e.message.split('\n')[0]});`
      + ' run it in a git checkout');
    process.exit(1);
  }
}

/** At most eight line numbers, then how many more. */
const listed = (ns) => (ns.length > 8 ? `${ns.slice(0, 8).join(', ')} and ${ns.length - 8} more` : ns.join(', '));

const allow = readAllowList();
const tracked = gitFiles()
  .filter((f) => SOURCE.test(f) && !OUTSIDE.some((re) => re.test(f)) && existsSync(join(root, f)));

const offences = [];
for (const file of tracked) {
  const m = measure(readFileSync(join(root, file), 'utf8'));
  const allowed = (rule) => {
    const entry = allow.find((e) => e.rules.includes(rule) && e.re.test(file));
    if (entry) entry.used = true;
    return !!entry;
  };
  if (m.lines > MAX_LINES && !allowed('lines')) {
    offences.push(`  ${file}: ${m.lines} lines (max ${MAX_LINES}): split it, one topic per file`);
  }
  if (m.wide.length > 0 && !allowed('width')) {
    const widest = m.wide.reduce((a, b) => (b.width > a.width ? b : a));
    offences.push(`  ${file}: ${m.wide.length} line${m.wide.length > 1 ? 's' : ''} over ${MAX_COLUMNS} columns `
      + `(lines ${listed(m.wide.map((w) => w.line))}; widest ${widest.width} at line ${widest.line}): wrap them`);
  }
}

for (const e of allow.filter((x) => !x.used)) {
  console.log(`line-budget: ${allowFile} entry '${e.path}' (${e.rules.join(', ')}) excuses nothing now; remove it`);
}
if (offences.length > 0) {
  console.error(`line-budget: ${offences.length} over the budget of ${MAX_LINES} lines and ${MAX_COLUMNS} columns:`);
  console.error(offences.join('\n'));
  console.error(`A file that must stay as it is (generated code, unrolled kernels) goes in ${allowFile},`
    + ' with the reason.');
  process.exit(1);
}
const excused = allow.filter((e) => e.used).length;
console.log(`line-budget: ${tracked.length} source files within ${MAX_LINES} lines and ${MAX_COLUMNS} columns`
  + ` (${excused} allow-list entr${excused === 1 ? 'y' : 'ies'} in use)`);
