import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect } from 'chai';
import { ROOT } from '../helpers/processes';

/*
 * The plan of the house (docs/decisions.md, "The house"), checked on the source: sizes, the doors
 * between rooms, no import cycle. Read from the text of src/ (Biome-formatted, so a declaration
 * opens at its indentation and closes with a brace at the same indentation).
 */

const SRC = resolve(ROOT, 'src');

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles().map((path) => ({
  name: relative(SRC, path),
  text: readFileSync(path, 'utf8'),
}));

/**
 * Classes, functions (arrow functions held by a constant too) and methods, with their length in
 * lines from the line that opens them to the brace that closes them at the same indentation.
 */
function declarations(text: string): { name: string; lines: number }[] {
  const lines = text.split('\n');
  const opener =
    /^( {0,2})(?:export )?(?:default )?(?:abstract )?(?:async )?(?:function\*? |class |const |let )?(?:(?:private|protected|public|static|readonly|async|get|set) )*([A-Za-z_$][\w$]*)[^;]*\{$/;
  const keywords = /^(if|for|while|switch|return|import|type|interface|enum|catch|else|do|try|new)$/;
  return lines.flatMap((line, index) => {
    const match = opener.exec(line);
    if (!match || keywords.test(match[2] as string)) return [];
    const indent = match[1] as string;
    const end = lines.findIndex((l, i) => i > index && new RegExp(`^${indent}[}\\])]`).test(l));
    return end > index ? [{ name: match[2] as string, lines: end - index + 1 }] : [];
  });
}

/** Relative imports of a file, resolved to names under src/. */
function importsOf(file: { name: string; text: string }): string[] {
  const specifiers = [...file.text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] as string);
  return specifiers.map((specifier) => {
    const base = resolve(SRC, dirname(file.name), specifier);
    const path = existsSync(`${base}.ts`) ? `${base}.ts` : join(base, 'index.ts');
    return relative(SRC, path);
  });
}

/** Non-relative modules a file imports (node:…, packages). */
function packagesOf(file: { text: string }): string[] {
  return [...file.text.matchAll(/(?:from|import|require)\s*\(?\s*'([^.'][^']*)'/g)].map((m) => m[1] as string);
}

/** Imports that are only types vanish from the compiled code: they are not doors at run time. */
function valueImportsOf(file: { name: string; text: string }): string[] {
  const valueOnly = { ...file, text: file.text.replace(/^import type [^;]+;$/gms, '') };
  return importsOf(valueOnly);
}

const room = (name: string) => name.split('/')[0] as string;

describe('the house', () => {
  it('has no file in src/ over 400 lines', () => {
    const long = files.filter((f) => f.text.split('\n').length > 401).map((f) => f.name);
    expect(long).to.deep.equal([]);
  });

  it('has no class, function or method over 200 lines', () => {
    const long = files.flatMap((f) =>
      declarations(f.text)
        .filter((d) => d.lines > 200)
        .map((d) => `${f.name}: ${d.name} (${d.lines})`),
    );
    expect(long).to.deep.equal([]);
  });

  it('finds a long function when there is one (the measure above can fail)', () => {
    const body = Array.from({ length: 210 }, (_, i) => `  const a${i} = ${i};`).join('\n');
    const text = `export async function startSomething(options: X = {}): Promise<Y> {\n${body}\n}\n`;
    expect(declarations(text)).to.deep.equal([{ name: 'startSomething', lines: 212 }]);
    const method = `export class Big {\n  private async send(lane: Lane): Promise<void> {\n${body}\n  }\n}\n`;
    expect(declarations(method).map((d) => d.name)).to.deep.equal(['Big', 'send']);
  });

  it('has no import cycle', () => {
    const graph = new Map(files.map((f) => [f.name, valueImportsOf(f)]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (name: string, path: string[]): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'open') {
        cycles.push([...path.slice(path.indexOf(name)), name].join(' → '));
        return;
      }
      state.set(name, 'open');
      for (const next of graph.get(name) ?? []) visit(next, [...path, name]);
      state.set(name, 'done');
    };
    for (const name of graph.keys()) visit(name, []);
    expect(cycles).to.deep.equal([]);
  });

  it('keeps the doors: bridge and client never enter the exporter; mapping does no I/O; delivery knows no SDK', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const from = room(file.name);
      const rooms = new Set(importsOf(file).map(room));
      const packages = packagesOf(file);
      if ((from === 'bridge' || from === 'client') && rooms.has('exporter')) wrong.push(`${file.name} → exporter`);
      if (from === 'api' && ['mapping', 'delivery', 'exporter', 'decorators'].some((r) => rooms.has(r)))
        wrong.push(`${file.name}: the API room knows nothing of spans or delivery`);
      if (from === 'mapping') {
        for (const r of ['api', 'delivery', 'exporter', 'bridge', 'client'])
          if (rooms.has(r)) wrong.push(`${file.name} → ${r}`);
        const io = packages.filter((p) =>
          /^(node:)?(fs|http|https|net|worker_threads|child_process|dgram|tls)(\/|$)|^undici/.test(p),
        );
        if (io.length > 0) wrong.push(`${file.name} imports ${io.join(', ')}`);
      }
      if (from === 'delivery') {
        const sdk = packages.filter((p) => p.startsWith('@opentelemetry/sdk-'));
        if (sdk.length > 0 || rooms.has('exporter'))
          wrong.push(`${file.name} imports ${[...sdk, 'exporter'].join(', ')}`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it('keeps index files to re-exports', () => {
    const busy = files
      .filter((f) => f.name.endsWith('index.ts'))
      .filter((f) => {
        const code = f.text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
        return code
          .split(/;\s*/)
          .some((s) => s.trim() !== '' && !/^(export|import)\b[\s\S]*\bfrom\b|^export \*/.test(s.trim()));
      })
      .map((f) => f.name);
    expect(busy).to.deep.equal([]);
  });
});
