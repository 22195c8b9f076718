/**
 * The package's declarations on their own: the packed tarball installed into fresh projects
 * (as test/system/install.test.ts does, scripts off: types need no binary) and a consumer
 * type-checked under `strict` with TypeScript 5.9 (this repository's) and 7 (installed here
 * from npm's cache), `module` nodenext (ESM and CommonJS files) and commonjs, with and without
 * @types/node, and with the `lib` a Node project may set. A deliberate mistake must still fail:
 * the check is real.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.js';
import { run, runOk } from '../helpers/proc.js';

const work = mkdtempSync(join(tmpdir(), 'darknet-node-types-'));
const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
const npm = (args: string[], cwd: string) => runOk('npm', args, { cwd, env, timeout: 600_000 });

const ESM = `import { Detector, DetectorPool, Classifier, Trainer, annotate, getModel, listModels, DarknetError, MODELS, type Detection, type LoadOptions } from 'darknet-node';
declare const signal: AbortSignal; // the DOM's, @types/node's, or the package's own minimal one
const options: LoadOptions = { model: 'yolov3', width: 416, height: 416, signal };
const d = await Detector.load(options);
const dets: Detection[] = await d.detect(new Uint8Array(4), { thresh: 0.3 });
const png: Uint8Array = await annotate({ data: new Uint8Array(12), width: 2, height: 2, channels: 3 }, dets, { format: 'jpeg', fontSize: 20 });
const dispose: () => void = d[Symbol.dispose].bind(d);
await d[Symbol.asyncDispose]();
const pool = await DetectorPool.load({ model: 'shapes', instances: 2 });
pool.dispose();
new Trainer().on('progress', (p) => p.loss.toFixed(2)).on('checkpoint', (file) => file.length);
const c = await Classifier.load({ cfg: 'a.cfg', weights: 'a.weights' });
c.dispose();
const { weights } = await getModel('yolov3-tiny', { cacheDir: '/tmp/x', onProgress: (n, total) => n / total });
const cached: boolean[] = (await listModels()).map((m) => m.cached);
const e: unknown = null;
// no console: a consumer with lib es2022 and neither DOM nor @types/node has none
export const seen = [e instanceof DarknetError && (e.code === 'DOWNLOAD' || e.code === 'WEIGHTS_HASH'), png.length, dispose, weights, cached, MODELS.yolov3?.bytes];
`;
const CJS = `import { Detector, annotate } from 'darknet-node';
Detector.load({ model: 'shapes' }).then(async (d) => {
  const png: Uint8Array = await annotate('x.png', await d.detect('x.png'));
  d.dispose();
  return png.length;
});
`;
/** consumer files per module setting */
const FILES = { nodenext: ['esm.mts', 'cjs.cts'], commonjs: ['cjs.ts'] } as const;

function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  writeFileSync(join(dir, 'esm.mts'), ESM);
  writeFileSync(join(dir, 'cjs.cts'), CJS);
  writeFileSync(join(dir, 'cjs.ts'), CJS);
  return dir;
}

function tsconfig(dir: string, module: keyof typeof FILES, types: string[], lib?: string[], files: readonly string[] = FILES[module]): string {
  const file = `tsconfig.${module}.${types.length}.${lib?.join('+') ?? 'default'}.json`;
  writeFileSync(join(dir, file), JSON.stringify({
    compilerOptions: { strict: true, module, target: 'es2022', noEmit: true, types, ...(lib ? { lib } : {}) },
    files,
  }));
  return file;
}

let tarball: string;
let bare: string;
let withNode: string;
let tsc7: string;
const tsc59 = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

beforeAll(async () => {
  await npm(['pack', '--ignore-scripts', '--pack-destination', work], ROOT);
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  bare = project('bare');
  await npm(['install', '--prefer-offline', '--ignore-scripts', tarball], bare);
  withNode = project('with-node');
  await npm(['install', '--prefer-offline', '--ignore-scripts', tarball, '@types/node@20'], withNode);
  const ts7 = join(work, 'ts7');
  mkdirSync(ts7);
  writeFileSync(join(ts7, 'package.json'), '{"name":"ts7","private":true}');
  await npm(['install', '--prefer-offline', 'typescript@7'], ts7);
  tsc7 = join(ts7, 'node_modules', '.bin', 'tsc');
}, 900_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const check = async (tsc: string, dir: string, config: string) => {
  // 5.9's bin is a script run by this Node; 7's is npm's launcher of its native binary
  const r = tsc === tsc59 ? await run(process.execPath, [tsc, '-p', config], { cwd: dir, timeout: 300_000 }) : await run(tsc, ['-p', config], { cwd: dir, timeout: 300_000 });
  return { status: r.status, out: r.stdout + r.stderr };
};

describe('the declarations in a consumer project (strict)', () => {
  it('TypeScript 7 is the one installed', async () => {
    expect((await run(tsc7, ['--version'])).stdout).toMatch(/^Version 7\./);
  });

  for (const [ts, name] of [[() => tsc59, '5.9'], [() => tsc7, '7']] as const) {
    for (const module of ['nodenext', 'commonjs'] as const) {
      it(`TypeScript ${name}, module ${module}: without @types/node, and with it`, async () => {
        for (const lib of [undefined, ['es2022'], ['esnext']]) {
          const r = await check(ts(), bare, tsconfig(bare, module, [], lib));
          expect(r.out, `no @types/node, lib ${lib ?? 'default'}`).toBe('');
          expect(r.status).toBe(0);
        }
        for (const lib of [undefined, ['es2022']]) {
          const r = await check(ts(), withNode, tsconfig(withNode, module, ['node'], lib));
          expect(r.out, `@types/node, lib ${lib ?? 'default'}`).toBe('');
          expect(r.status).toBe(0);
        }
      }, 300_000);
    }
  }

  it('a mistake in the consumer is still reported (the check is real)', async () => {
    writeFileSync(join(bare, 'wrong.mts'), "import { Detector } from 'darknet-node';\nawait Detector.load({ model: 42 });\n");
    for (const tsc of [tsc59, tsc7]) {
      const r = await check(tsc, bare, tsconfig(bare, 'nodenext', [], undefined, ['wrong.mts']));
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/wrong\.mts.*TS2322/);
    }
  }, 300_000);
});
