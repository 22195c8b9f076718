import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The project-local venv that `.ci/run` and `npm test` (scripts/test-deps.mjs) make. */
export const VENV_PYTHON = join(import.meta.dirname, '..', '..', '.venv', 'bin', 'python');

export function pycocotoolsPython(): string {
  if (!existsSync(VENV_PYTHON)) {
    throw new Error('pycocotools is the oracle of this test: make the venv with `python3 -m venv .venv && .venv/bin/pip install pycocotools` (npm test does it)');
  }
  return VENV_PYTHON;
}
