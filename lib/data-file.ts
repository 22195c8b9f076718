/**
 * Darknet's dataset description files, read once for every tool that takes them (training,
 * detector evaluation, classifier evaluation): a `.data` file as read_data_cfg reads it, and the
 * list files it names as get_paths reads them.
 */
import { DarknetError } from './errors.js';
import { MAX_CFG_BYTES, readTextFile } from './files.js';

/** cfgs, .data files, lists: far below this (ImageNet's 50k validation list: ~3 MB) */
const MAX_LIST_BYTES = 256 << 20;

/** A Darknet .data file as read_data_cfg reads it: key=value lines, all whitespace stripped, # comments. */
export function parseDataFile(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const t = line.replace(/\s/g, '');
    if (!t || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq > 0) m.set(t.slice(0, eq), t.slice(eq + 1));
  }
  return m;
}

/** A .data file's entries. */
export async function readDataFile(file: string): Promise<Map<string, string>> {
  return parseDataFile(await readTextFile(file, 'data', MAX_CFG_BYTES));
}

/** The entry `key` of a .data file, or a DATASET error naming the file (and `why` it is needed). */
export function dataEntry(data: ReadonlyMap<string, string>, key: string, file: string, why = ''): string {
  const v = data.get(key);
  if (!v) throw new DarknetError('DATASET', `no ${key}= entry${why ? ` (${why})` : ''}`, { file });
  return v;
}

/** A list file as get_paths reads it: one entry per line, empty lines kept (an empty label is
 * found in every path, as strstr finds it), the newline ending the last line not an entry. */
export async function readList(file: string, what: string): Promise<string[]> {
  const lines = (await readTextFile(file, what, MAX_LIST_BYTES)).split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** An image list (train=, valid=): its paths, trimmed, blank lines skipped. */
export async function readImageList(file: string, what = 'image list'): Promise<string[]> {
  return (await readTextFile(file, what, MAX_LIST_BYTES)).split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
}

/** Where Darknet looks for an image's labels (data.c fill_truth_detection, first match each). */
export function labelPathFor(image: string): string {
  let p = image;
  for (const [from, to] of [['images', 'labels'], ['JPEGImages', 'labels'], ['raw', 'labels'], ['.jpg', '.txt'], ['.png', '.txt'], ['.JPG', '.txt'], ['.JPEG', '.txt']] as const) {
    const i = p.indexOf(from);
    if (i >= 0) p = p.slice(0, i) + to + p.slice(i + from.length);
  }
  return p;
}
