export { cocoEvaluate, formatCocoSummary, IOU_THRESHOLDS, RECALL_THRESHOLDS, MAX_DETS, AREA_RANGES } from './coco.js';
export type { BBox, CategoryStats, CocoEvalOptions, CocoGroundTruth, CocoResult, CocoStats, GroundTruth, ImageId, Prediction } from './coco.js';
export { evaluateCoco, formatPerCategoryTable } from './evaluate-coco.js';
export type { CategoryAp, CocoEvaluation } from './evaluate-coco.js';
export { darknetMap } from './voc.js';
export type { MapResult } from './voc.js';
export { COCO_IDS, fromCocoAnnotations, fromCocoResults, fromDarknetLabels } from './formats.js';
export type { CocoDataset } from './formats.js';
