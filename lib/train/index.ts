export { kmeansAnchors } from './anchors.js';
export type { AnchorResult } from './anchors.js';
export { generateSyntheticDataset, SHAPES } from './synthetic.js';
export type { SyntheticDataset, SyntheticImage, SyntheticObject, SyntheticOptions, ShapeName } from './synthetic.js';
export { Trainer, loadTrainingSet, labelPathFor } from './trainer.js';
export type { TrainOptions, TrainProgress, TrainResult, TrainerEvents, TrainerEmitter } from './trainer.js';
