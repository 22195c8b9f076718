/** The one reader of Darknet's .data files and image lists (training, eval and classify-eval use it). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataEntry, labelPathFor, parseDataFile, readDataFile, readImageList, readList } from '../../lib/data-file.js';

const DIR = join(tmpdir(), `darknet-node-data-file-${process.pid}`);
mkdirSync(DIR, { recursive: true });

describe('.data files', () => {
  it('read as read_data_cfg reads them: whitespace stripped, # comments, first = splits', () => {
    const m = parseDataFile('classes = 80\r\n# a comment\n train  = /data/train list.txt\nvalid=a=b\n\nnames\n=x\n');
    expect([...m]).toEqual([['classes', '80'], ['train', '/data/trainlist.txt'], ['valid', 'a=b']]);
  });
  it('a missing entry is a DATASET error naming the file and why it is needed', async () => {
    const f = join(DIR, 'x.data');
    writeFileSync(f, 'classes=2\ntrain=t.txt\n');
    const data = await readDataFile(f);
    expect(dataEntry(data, 'train', f)).toBe('t.txt');
    expect(() => dataEntry(data, 'valid', f, 'the images to evaluate')).toThrow(expect.objectContaining({ code: 'DATASET', file: f, message: `${f}: no valid= entry (the images to evaluate)` }));
  });
});

describe('lists', () => {
  it('image lists: trimmed, blank lines skipped; get_paths lists: every line kept, the last newline not an entry', async () => {
    const f = join(DIR, 'list.txt');
    writeFileSync(f, ' a.jpg \r\n\nb.png\n');
    expect(await readImageList(f)).toEqual(['a.jpg', 'b.png']);
    expect(await readList(f, 'labels')).toEqual([' a.jpg ', '', 'b.png']);
  });
  it('label paths as fill_truth_detection derives them', () => {
    expect(labelPathFor('/d/images/train/x_01.jpg')).toBe('/d/labels/train/x_01.txt');
    expect(labelPathFor('/voc/JPEGImages/y.JPEG')).toBe('/voc/labels/y.txt');
  });
});
