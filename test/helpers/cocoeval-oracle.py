"""pycocotools' COCOeval on scenarios written by test/system/coco-oracle.test.ts.

argv: scenarios.json out_dir. For scenario i it writes out_dir/i.json (stats, per-category
stats, the printed summary, or `refused` with pycocotools' error) and out_dir/i.bin (float64:
precision, recall and scores, each raveled in C order).
"""
import contextlib
import io
import json
import sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def per_category(E, k):
    """COCOeval._summarize restricted to category index k (same slicing, same mean)."""
    p = E.params

    def one(ap, iouThr=None, areaRng='all', maxDets=100):
        aind = [i for i, a in enumerate(p.areaRngLbl) if a == areaRng]
        mind = [i for i, m in enumerate(p.maxDets) if m == maxDets]
        s = E.eval['precision'] if ap else E.eval['recall']
        if iouThr is not None:
            s = s[np.where(iouThr == p.iouThrs)[0]]
        s = s[:, :, [k]][..., aind, mind] if ap else s[:, [k]][..., aind, mind]
        return -1.0 if len(s[s > -1]) == 0 else float(np.mean(s[s > -1]))

    m = p.maxDets
    return [one(1), one(1, .5, maxDets=m[2]), one(1, .75, maxDets=m[2]), one(1, areaRng='small', maxDets=m[2]),
            one(1, areaRng='medium', maxDets=m[2]), one(1, areaRng='large', maxDets=m[2]), one(0, maxDets=m[0]),
            one(0, maxDets=m[1]), one(0, maxDets=m[2]), one(0, areaRng='small', maxDets=m[2]),
            one(0, areaRng='medium', maxDets=m[2]), one(0, areaRng='large', maxDets=m[2])]


def main():
    scenarios = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    for i, sc in enumerate(scenarios):
        res = {}
        sink = io.StringIO()
        try:
            with contextlib.redirect_stdout(sink):
                gt = COCO()
                gt.dataset = sc['annotations']
                gt.createIndex()
                dt = gt.loadRes(sc['results'])
                E = COCOeval(gt, dt, 'bbox')
                if 'imgIds' in sc:
                    E.params.imgIds = sc['imgIds']
                if 'catIds' in sc:
                    E.params.catIds = sc['catIds']
                E.evaluate()
                E.accumulate()
            summary = io.StringIO()
            with contextlib.redirect_stdout(summary):
                E.summarize()
        except AssertionError as e:
            json.dump({'refused': str(e)}, open(f'{out}/{i}.json', 'w'))
            continue
        res['stats'] = [float(x) for x in E.stats]
        res['summary'] = summary.getvalue()
        res['categories'] = [int(c) for c in E.params.catIds]
        res['perCategory'] = [per_category(E, k) for k in range(len(E.params.catIds))]
        res['shape'] = list(E.eval['precision'].shape)
        json.dump(res, open(f'{out}/{i}.json', 'w'))
        np.concatenate([E.eval['precision'].ravel(), E.eval['recall'].ravel(), E.eval['scores'].ravel()]).astype('<f8').tofile(f'{out}/{i}.bin')


main()
