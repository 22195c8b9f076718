export { Detector } from './detector.js';
export type { LoadOptions, DetectOptions, YoloOutput, Numerics } from './detector.js';
export { DetectorPool } from './pool.js';
export type { PoolOptions } from './pool.js';
export type { Detection, DetectionJSON, Box } from './detections.js';
export type { ImageInput, RawImage, SharpRawOutput, SharpLike } from './input.js';
export { DarknetError } from './errors.js';
export type { DarknetErrorCode } from './errors.js';
export * from './cfg/index.js';
export { readWeightsHeader, parseWeightsHeader, checkWeights, checkPrefixWeights, weightsCoverage, expectedWeightsBytes } from './weights.js';
export type { WeightsHeader, WeightsCoverage } from './weights.js';
export { partialWeights } from './partial.js';
export type { PartialOptions, PartialResult } from './partial.js';
export { networkInfo, formatLayerTable } from './info.js';
export type { NetworkInfo, LayerInfo, HeadInfo } from './info.js';
export { writeRandomWeights } from './random-weights.js';
export type { RandomWeightsOptions } from './random-weights.js';
export { COCO_NAMES } from './coco-names.js';
export { SHAPES_MODEL } from './models.js';
import { native, type NativeCapabilities } from './native.js';
export type { MemoryUsage, NativeCapabilities, GpuDevice } from './native.js';

/** What the loaded binary was built with. */
export function capabilities(): NativeCapabilities {
  return native().capabilities();
}
export * from './eval/index.js';
export * from './train/index.js';
export { annotate, classColor } from './cli/annotate.js';
export { VideoStream } from './video/stream.js';
export type { VideoSource, StreamOptions, StreamFrame, StreamStats, BackpressurePolicy } from './video/stream.js';
export type { StreamInfo } from './video/args.js';
export { VideoWriter } from './video/writer.js';
export type { VideoWriterOptions } from './video/writer.js';
export { crossingClip, renderShapesClip, writeShapesClip } from './video/synthetic.js';
export type { ClipSpec, ClipObject, ClipTruth, ClipFrame } from './video/synthetic.js';
export { Tracker, iou } from './track/index.js';
export type { Track, TrackerOptions, TrackInput, TrackState } from './track/index.js';
