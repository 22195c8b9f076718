#!/usr/bin/env node
// OpenBLAS for binding.gyp (node-gyp, prebuilds), the same search as cmake/blas.cmake:
// the static library of OpenBLAS's OpenMP variant first (self-contained, portable prebuilds:
// OpenBLAS picks its kernels for the CPU at run time), else a shared libopenblas, else none
// (Darknet's own gemm). DARKNET_BLAS=OFF disables it; DARKNET_BLAS=ON fails when none is found.
// Cross builds (scripts/prebuild.mjs --arch) look in the target's multiarch folders: prebuildify
// passes the target as PREBUILD_ARCH. DARKNET_OPENBLAS_PREFIX: only the static OpenBLAS unpacked
// under that prefix (scripts/prebuild-linux.sh: a newer Debian's, for the prebuilds).
//   --define   prints 1 or 0 (DN_BLAS)
//   --include  prints the cblas.h directory (or nothing)
//   --lib      prints the library to link (or nothing)
import { existsSync } from 'node:fs';
import { arch } from 'node:os';

const target = process.env.PREBUILD_ARCH || arch();
const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[target] ?? '';
const off = /^(off|0|false|no)$/i.test(process.env.DARKNET_BLAS ?? '');

function find() {
  if (off || process.platform !== 'linux') return null;
  const prefix = process.env.DARKNET_OPENBLAS_PREFIX;
  const candidates = prefix ? [
    { lib: `${prefix}/usr/lib/${triplet}/openblas-openmp/libopenblas.a`, include: `${prefix}/usr/include/${triplet}/openblas-openmp` },
  ] : target !== arch() ? [
    { lib: `/usr/lib/${triplet}/openblas-openmp/libopenblas.a`, include: `/usr/include/${triplet}/openblas-openmp` },
  ] : [
    { lib: `/usr/lib/${triplet}/openblas-openmp/libopenblas.a`, include: `/usr/include/${triplet}/openblas-openmp` },
    { lib: `/usr/lib/${triplet}/libopenblas.so`, include: `/usr/include/${triplet}/openblas-pthread` },
    { lib: '/usr/lib64/libopenblas.so', include: '/usr/include/openblas' },
    { lib: '/usr/lib/libopenblas.so', include: '/usr/include/openblas' },
  ];
  return candidates.find((c) => existsSync(c.lib) && existsSync(`${c.include}/cblas.h`)) ?? null;
}

const found = find();
if (!found && /^(on|1|true|yes)$/i.test(process.env.DARKNET_BLAS ?? '')) {
  console.error(`find-blas: DARKNET_BLAS=ON but no OpenBLAS for ${target} (Debian: libopenblas-openmp-dev${target !== arch() ? `:${{ x64: 'amd64', arm64: 'arm64' }[target]}` : ''})`);
  process.exit(1);
}
const what = process.argv[2];
if (what === '--define') console.log(found ? 1 : 0);
else if (what === '--include') { if (found) console.log(found.include); }
else if (what === '--lib') { if (found) console.log(found.lib); }
else console.log(JSON.stringify(found));
