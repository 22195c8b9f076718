export { parseCfg } from './parse.js';
export { serializeCfg } from './serialize.js';
export { validateCfg, SUPPORTED_LAYERS } from './validate.js';
export type { NetworkShape, LayerShape, YoloHead, Dims, ValidateOptions } from './validate.js';
export { getOption, setOption, canonicalType } from './types.js';
export type { Cfg, CfgSection, CfgOption } from './types.js';
