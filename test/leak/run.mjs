// Exercised under valgrind by leak.sh: loads, detects, fails (guarded Darknet errors), disposes.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Detector, parseCfg, validateCfg, writeRandomWeights } from '../../dist/index.js';
import { native } from '../../dist/native.js';

const dir = tmpdir();
const cfg = join(dir, 'leak-small.cfg');
const weights = join(dir, 'leak-small.weights');
const text = '[net]\nbatch=1\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=2\npad=1\nactivation=leaky\n' +
  '[maxpool]\nsize=2\nstride=2\n[convolutional]\nfilters=24\nsize=1\nstride=1\npad=1\nactivation=linear\n[yolo]\nmask=0,1,2\nanchors=10,14,23,27,37,58\nclasses=3\nnum=3\n';
writeFileSync(cfg, text);
await writeRandomWeights(validateCfg(parseCfg(text)), weights, { seed: 3 });
// a JPEG detected in one native call (decoded on the compute threads), and one cut short (declined there, refused by sharp)
const jpeg = '/usr/share/darknet/data/dog.jpg';
const cut = readFileSync(jpeg).subarray(0, 20000);
const raw = { data: new Uint8Array(80 * 60 * 3).fill(90), width: 80, height: 60, channels: 3 };
for (let i = 0; i < 3; i++) {
  for (const training of [false, true]) {
    const d = await Detector.load({ cfg, weights, training });
    await d.detect(raw, { thresh: 0.05 });
    await d.detect(jpeg, { thresh: 0.05 });
    await d.detect(cut).catch(() => {});
    await d.forward(new Float32Array(64 * 64 * 3));
    d.dispose();
  }
  // Darknet failures trapped by the guard: their half-built state must be freed too.
  writeFileSync(join(dir, 'leak-bad.cfg'), '[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=16\n[yolo]\nclasses=80\nnum=3\n');
  await new (native().Network)().load(join(dir, 'leak-bad.cfg'), null).catch(() => {});
  await new (native().Network)().load(join(dir, 'missing.cfg'), null).catch(() => {});
}
console.log('leak run done');
