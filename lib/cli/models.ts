/** `darknet-node models`: list Darknet's published detectors and what is cached; download them. */
import { parseArgs } from 'node:util';
import { getModel, listModels, MODELS, modelCacheDir, SHAPES_MODEL, verifyModel } from '../models.js';
import { downloadBar } from './progress.js';
import { UsageError } from './usage.js';

export const MODELS_HELP = `usage: darknet-node models list [--cache-dir <dir>]
       darknet-node models get <name…> [--cache-dir <dir>]
       darknet-node models verify <name…> [--cache-dir <dir>]
  list     the models a name loads (Detector.load({ model }), detect --model) and which are cached
  get      download the original weights from pjreddie.com (resumes an interrupted transfer;
           checks the exact size, the header and the sha256 recorded at the first download)
  verify   hash cached weights again and compare
  --cache-dir <dir>     default: $DARKNET_NODE_CACHE, else $XDG_CACHE_HOME/darknet-node,
                        else ~/.cache/darknet-node
  environment: DARKNET_NODE_MODEL_BASE_URL downloads from another server (a mirror)`;

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export async function cmdModels(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'cache-dir': { type: 'string' } } });
  const [sub, ...names] = positionals;
  const o = values['cache-dir'] === undefined ? {} : { cacheDir: values['cache-dir'] };
  if (sub === 'list' && !names.length) {
    const models = await listModels(o);
    const rows = [
      ['shapes', 'bundled', 'shapes (5 classes), trained by this package', SHAPES_MODEL.weights],
      ...models.map((m) => [m.name, m.cached ? 'cached' : m.partial ? 'partial' : 'remote', m.description,
        m.cached ? m.weights : m.partial ? `${mb(m.partial)} of ${mb(m.bytes)}: models get ${m.name} resumes` : `not downloaded (${mb(m.bytes)})`]),
    ];
    const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) console.log(r.map((v, c) => (c < 3 ? v.padEnd(widths[c]!) : v)).join('  '));
    console.log(`\ncache: ${modelCacheDir(o)}`);
    return;
  }
  if ((sub === 'get' || sub === 'verify') && names.length) {
    for (const n of names) if (n !== 'shapes' && !Object.hasOwn(MODELS, n)) throw new UsageError(`unknown model "${n}" (known: shapes, ${Object.keys(MODELS).join(', ')})`);
    for (const name of names) {
      if (sub === 'verify') {
        if (name !== 'shapes') console.log(`${name}: ok, ${await verifyModel(name, o)}`);
        continue;
      }
      const r = await getModel(name, { ...o, onProgress: downloadBar(name) });
      console.log(`${name}: ${r.downloaded ? 'downloaded' : 'already there'}, ${r.weights}`);
    }
    return;
  }
  throw new UsageError(MODELS_HELP);
}
