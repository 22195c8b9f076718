import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readHead, readTextFile } from '../../lib/files.js';

/**
 * lib/files.ts readHead and readTextFile on regular files and on what must be refused (a FIFO
 * without a writer, a device, a directory, a missing file): the same results through the addon's
 * one-trip read (test/native/read-head.test.ts) and Node's fs (test/unit/read-head-fs.test.ts).
 */
export function readHeadBehaves(path: 'addon' | 'fs'): void {
  describe(`readHead through ${path}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'dn-read-head-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'a.cfg');
    writeFileSync(file, 'x'.repeat(5000) + 'é');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(join(dir, 'sub'));

    it('reads the first bytes and the size; the whole of a small file', async () => {
      const head = await readHead(file, 'cfg', 20);
      expect(head.size).toBe(5002);
      expect(Buffer.from(head.data).toString()).toBe('x'.repeat(20));
      const all = await readHead(file, 'cfg', 1 << 20);
      expect(all.data.length).toBe(5002);
      expect(await readTextFile(file, 'cfg', 5002)).toBe('x'.repeat(5000) + 'é');
      await expect(readTextFile(file, 'cfg', 5001, 'CFG_PARSE')).rejects.toMatchObject({ code: 'CFG_PARSE', message: /5002 bytes is too large/ });
      writeFileSync(join(dir, 'empty'), '');
      expect(await readHead(join(dir, 'empty'), 'cfg', 20)).toMatchObject({ size: 0 });
    });

    it('refuses a FIFO and a device at once, a directory, and a missing file, naming it', async () => {
      await expect(readHead(fifo, 'weights', 20)).rejects.toMatchObject({ code: 'EIO', file: fifo, message: /not a regular file/ });
      await expect(readHead('/dev/zero', 'weights', 20)).rejects.toMatchObject({ code: 'EIO', message: /not a regular file/ });
      await expect(readHead(join(dir, 'sub'), 'cfg', 20)).rejects.toMatchObject({ code: 'EIO', message: /directory/ });
      await expect(readHead(join(dir, 'none'), 'cfg', 20)).rejects.toMatchObject({ code: 'ENOENT', message: /cfg file not found/ });
    });
  });
}
