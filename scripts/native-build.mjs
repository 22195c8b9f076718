#!/usr/bin/env node
// Reads native/build.json, the one build description, for the consumers that cannot read JSON
// themselves (binding.gyp's command expansions, scripts/fuzz.sh), and computes the hash of the
// Darknet source a build compiles (capabilities().darknetSourceHash).
//
//   native-build.mjs sources <group>       our sources of a group (c, contract, cxx), space-separated
//   native-build.mjs cflags <group|darknet> that group's compile flags
//   native-build.mjs defines               the bridge's preprocessor definitions
//   native-build.mjs commit                the pinned Darknet commit
//   native-build.mjs darknet-extra         Darknet's files compiled through native/compat
//   native-build.mjs darknet-hash [dir]    sha256 of the Darknet files compiled from dir (default:
//                                          where scripts/darknet-source.mjs finds the source)
//   native-build.mjs jpeg                  1 when the C compiler ($CC, else cc) finds libjpeg's
//                                          header (native/image/jpeg.c is then built in), else 0
//   native-build.mjs dnnl                  1 when it finds oneDNN's header dnnl.h (libdnnl-dev:
//                                          native/fast/dnnl.c is then built in), else 0
//                                          (CMakeLists.txt asks the same with check_include_files)
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function buildDescription() {
  return JSON.parse(readFileSync(join(ROOT, 'native', 'build.json'), 'utf8'));
}

/** The Darknet files a build reads, relative to the source tree: the compiled .c files (utils.c
 * through native/compat/utils_tu.c) and every header they can include. Sorted. */
export function darknetSourceFiles(dir) {
  const d = buildDescription().darknet;
  const files = new Set([...d.objects.map((o) => `src/${o}.c`), 'src/utils.c', 'include/darknet.h']);
  for (const f of readdirSync(join(dir, 'src'))) if (f.endsWith('.h')) files.add(`src/${f}`);
  return [...files].sort();
}

/** sha256 over each file's path and content hash: what the build compiled, whatever its origin
 * (submodule, Debian's copy, DARKNET_SRC). */
export function darknetSourceHash(dir) {
  const all = createHash('sha256');
  for (const f of darknetSourceFiles(dir)) {
    const one = createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
    all.update(`${f}\0${one}\n`);
  }
  return all.digest('hex');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [what, arg] = process.argv.slice(2);
  const b = buildDescription();
  const out = (() => {
    switch (what) {
      case 'sources': return b.groups[arg].sources.join(' ');
      case 'cflags': return (arg === 'darknet' ? b.darknet.cflags : b.groups[arg].cflags).join(' ');
      case 'defines': return b.defines.join(' ');
      case 'commit': return b.darknet.commit;
      case 'darknet-extra': return b.darknet.extra.join(' ');
      case 'darknet-hash': {
        // darknet-source.mjs reads this file's description: asked as a separate process, no import cycle
        const dir = arg ? resolve(arg) : execFileSync(process.execPath, [join(ROOT, 'scripts', 'darknet-source.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        return darknetSourceHash(dir);
      }
      case 'jpeg': return compiles('#include <stdio.h>\n#include <jpeglib.h>\n');
      case 'dnnl': return compiles('#include <dnnl.h>\n');
      default:
        process.stderr.write(`native-build.mjs: unknown query ${what}\n`);
        process.exit(2);
    }
  })();
  process.stdout.write(out);
}

/** '1' when the C compiler ($CC, else cc) accepts `source` (a header check), else '0'. */
function compiles(source) {
  const cc = (process.env.CC || 'cc').split(/\s+/);
  const r = spawnSync(cc[0], [...cc.slice(1), '-fsyntax-only', '-x', 'c', '-'], { input: source, stdio: ['pipe', 'ignore', 'ignore'] });
  return r.status === 0 ? '1' : '0';
}
