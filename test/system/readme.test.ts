/**
 * Every js/ts code block of README.md, run as a user would run it: in a fresh folder holding the
 * files the blocks name (dog.jpg, a clip, a classifier), the package installed under its name,
 * TypeScript blocks type-checked (strict, nodenext) and compiled first, on this Node (the oldest
 * supported line in CI: no `await using` unless a block says it is for Node ≥ 24). Named models
 * come from a local server (DARKNET_NODE_MODEL_BASE_URL) serving weights made here, never from
 * the real host. Blocks marked `<!-- readme-test: not run (reason) -->` need what a test machine
 * may lack (Redis, a GPU); their calls are run by the suites named in the reason.
 */
import { copyFileSync, createReadStream, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossingClip, writeShapesClip } from '../../lib/video/synthetic.js';
import { ensureClassifier } from '../helpers/classifiers.js';
import { CACHE, DARKNET_SHARE, ensureModel, ROOT } from '../helpers/fixtures.js';
import { run, runOk } from '../helpers/proc.js';

interface Block { line: number; lang: 'js' | 'ts'; code: string; skip?: string }

function readmeBlocks(): Block[] {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(js|ts|javascript|typescript)\s*$/.exec(lines[i]!);
    if (!m) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    let prev = start - 1;
    while (prev >= 0 && lines[prev]!.trim() === '') prev--;
    const skip = /^<!-- readme-test: not run \((.+)\) -->$/.exec(lines[prev] ?? '')?.[1];
    blocks.push({ line: start + 1, lang: m[1]!.startsWith('t') ? 'ts' : 'js', code: body.join('\n'), ...(skip ? { skip } : {}) });
  }
  return blocks;
}

const dir = join(CACHE, 'readme');
let server: Server;
let env: NodeJS.ProcessEnv;
const blocks = readmeBlocks();

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'darknet-node'));
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-user', private: true, type: 'module' }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', outDir: 'out', skipLibCheck: false, noEmitOnError: true },
    include: ['*.mts'],
  }));
  // the files the blocks name
  for (const f of ['dog.jpg', 'eagle.jpg']) copyFileSync(join(DARKNET_SHARE, 'data', f), join(dir, f));
  await writeShapesClip(join(dir, 'clip.mp4'), crossingClip({ duration: 1 }));
  const cls = await ensureClassifier('darknet19');
  copyFileSync(cls.cfg, join(dir, 'darknet19.cfg'));
  symlinkSync(cls.weights, join(dir, 'darknet19.weights'));
  // named models from a local server: random weights of yolov3's exact size
  const yolo = await ensureModel('yolov3');
  server = createServer((req, res) => {
    if (req.url !== '/yolov3.weights') { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-length': statSync(yolo.weights).size });
    createReadStream(yolo.weights).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  env = { ...process.env, DARKNET_NODE_CACHE: join(dir, 'cache'), DARKNET_NODE_MODEL_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}, 600_000);
afterAll(() => server?.close());

describe('README code blocks', () => {
  it('are found; the ones not run say why', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    expect(blocks.filter((b) => b.skip).map((b) => b.skip)).toEqual([
      expect.stringMatching(/Redis/),
      expect.stringMatching(/GPU/),
    ]);
    // the samples run on every supported Node: `await using` only in a block marked for Node ≥ 24
    for (const b of blocks) if (!/Node ≥ 24/.test(b.code)) expect(b.code, `README line ${b.line}`).not.toMatch(/\bawait using\b/);
  });

  it('TypeScript blocks type-check (strict, nodenext) against the shipped declarations', async () => {
    for (const b of blocks) if (b.lang === 'ts' && !b.skip) writeFileSync(join(dir, `block-${b.line}.mts`), `${b.code}\nexport {};\n`);
    const r = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, timeout: 300_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 300_000);

  for (const b of blocks.filter((x) => !x.skip)) {
    it(`the ${b.lang} block at README line ${b.line} runs`, async () => {
      let file: string;
      if (b.lang === 'js') {
        file = join(dir, `block-${b.line}.mjs`);
        writeFileSync(file, b.code);
      } else {
        file = join(dir, 'out', `block-${b.line}.mjs`);
      }
      const out = await runOk(process.execPath, [file], { cwd: dir, env, timeout: 300_000 });
      if (b.code.includes("model: 'shapes'") && b.code.includes('console.log(d.className')) expect(out).toMatch(/^star 1\.00 \{/m);
      if (b.code.includes('annotated.png')) expect(statSync(join(dir, 'annotated.png')).size).toBeGreaterThan(1000);
      if (b.code.includes('detectStream')) expect(out).toMatch(/^\d+ [\d.]+ \d+ (circle|square|triangle|cross|star) \{/m);
      if (b.code.includes('classifyBatch')) expect(out).toMatch(/^\S+ 1000$/m);
    }, 600_000);
  }
});
