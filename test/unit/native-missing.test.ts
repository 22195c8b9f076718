/**
 * NATIVE_MISSING's message (lib/native.ts) for the ways the addon fails to load in an installed
 * package: no binary for the platform, or a prebuild the dynamic loader refuses. It names the way
 * out that works in node_modules (no install script, no submodule) and the build tools to add.
 */
import { describe, expect, it } from 'vitest';
import { nativeMissingMessage } from '../../lib/native.js';

const loaderError = (msg: string) => Object.assign(new Error(msg), { code: 'ERR_DLOPEN_FAILED' });

describe('NATIVE_MISSING message', () => {
  it('no binary: the platforms that have prebuilds, and the on-demand build with its tools', () => {
    const m = nativeMissingMessage(new Error('No native build was found for platform=linux arch=riscv64 runtime=node abi=115 uv=1 libc=glibc node=20.20.2\n    loaded from: /x/node_modules/darknet-node\n'));
    expect(m).toMatch(new RegExp(`\\(${process.platform}-${process.arch}, Node-API 8\\)`));
    expect(m).toMatch(/linux-x64 and linux-arm64 with glibc ≥ 2\.31/);
    expect(m).toMatch(/`npx darknet-node build`/);
    expect(m).toMatch(/`npm install --save-dev cmake-js node-addon-api`/);
    expect(m).not.toMatch(/install script|install-scripts|submodule/);
  });

  it('a prebuild the loader refuses for a missing libgomp: the loader\'s reason and the package to install', () => {
    const m = nativeMissingMessage(loaderError('libgomp.so.1: cannot open shared object file: No such file or directory'));
    expect(m).toMatch(/could not be loaded: libgomp\.so\.1: cannot open shared object file: No such file or directory\. /);
    expect(m).toMatch(/apt-get install libgomp1/);
    expect(m).toMatch(/npx darknet-node build/);
  });

  it('a prebuild too new for the C library: says so', () => {
    const m = nativeMissingMessage(loaderError("/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.29' not found (required by /x/darknet-node.node)"));
    expect(m).toMatch(/GLIBC_2\.29' not found/);
    expect(m).toMatch(/older than the binary needs \(glibc ≥ 2\.31\)/);
  });
});
