import { vi } from 'vitest';
import { readHeadBehaves } from '../helpers/read-head.js';

// no addon: lib/files.ts falls back to Node's fs
vi.mock('../../lib/native.js', async (original) => ({
  ...(await original<typeof import('../../lib/native.js')>()),
  native: () => {
    throw new Error('no addon in this test');
  },
}));

readHeadBehaves('fs');
