// The benchmark models: Debian's cfgs at a given input size, batch 1, with random-init weights
// of the real size (no real weights exist offline), written once under bench/.cache.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCfg, serializeCfg, setOption, validateCfg, writeRandomWeights } from '../dist/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE = join(ROOT, 'bench', '.cache');
export const SHARE = '/usr/share/darknet';

/** m: { name, base (Debian cfg name), size, gain (head weight gain, so boxes clear thresholds) } */
export async function prepareModel(m) {
  mkdirSync(CACHE, { recursive: true });
  const cfg = parseCfg(readFileSync(join(SHARE, 'cfg', `${m.base}.cfg`), 'utf8'));
  for (const [k, v] of [['width', m.size], ['height', m.size], ['batch', 1], ['subdivisions', 1]]) setOption(cfg.sections[0], k, v);
  const cfgPath = join(CACHE, `${m.name}.cfg`);
  writeFileSync(cfgPath, serializeCfg(cfg));
  const shape = validateCfg(cfg);
  const weights = join(CACHE, `${m.base}.weights`);
  if (!existsSync(weights) || statSync(weights).size !== 20 + 4 * shape.weightFloats) await writeRandomWeights(shape, weights, { seed: 1, headGain: m.gain });
  return { cfgPath, weights, bflops: shape.bflops };
}
