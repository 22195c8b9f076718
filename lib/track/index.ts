export { Tracker, iou } from './tracker.js';
export type { Track, TrackerOptions, TrackInput, TrackState } from './tracker.js';
export { maxScoreMatching, minCostAssignment } from './assignment.js';
