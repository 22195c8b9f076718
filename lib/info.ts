import type { NetworkShape } from './cfg/validate.js';

export interface LayerInfo {
  index: number;
  type: string;
  filters?: number;
  size?: number;
  stride?: number;
  /** input → output dims as w × h × c */
  input: [number, number, number];
  output: [number, number, number];
  bflops: number;
  from?: number[];
  /** floats per image the layer outputs (what a non-image layer — connected, softmax — is sized by) */
  outputs: number;
  /** connected: floats per image it reads */
  inputs?: number;
}

export interface HeadInfo {
  layer: number;
  grid: [number, number];
  /** stride in input pixels (32, 16, 8 for YOLOv3) */
  stride: number;
  classes: number;
  mask: number[];
  anchors: Array<[number, number]>;
  channels: number;
  boxes: number;
}

export interface NetworkInfo {
  width: number;
  height: number;
  channels: number;
  batch: number;
  layers: LayerInfo[];
  heads: HeadInfo[];
  classes: number;
  /** candidate boxes over all heads */
  candidates: number;
  bflops: number;
  weightFloats: number;
}

export function networkInfo(shape: NetworkShape): NetworkInfo {
  return {
    width: shape.width, height: shape.height, channels: shape.channels, batch: shape.batch,
    layers: shape.layers.map((l) => ({
      index: l.index, type: l.type,
      ...(l.filters !== undefined ? { filters: l.filters } : {}),
      ...(l.size !== undefined ? { size: l.size } : {}),
      ...(l.stride !== undefined ? { stride: l.stride } : {}),
      ...(l.from ? { from: [...l.from] } : {}),
      input: [l.input.w, l.input.h, l.input.c], output: [l.output.w, l.output.h, l.output.c], bflops: l.bflops,
      outputs: l.outputs, ...(l.inputs !== undefined ? { inputs: l.inputs } : {}),
    })),
    heads: shape.heads.map((h) => ({ ...h, mask: [...h.mask], anchors: h.anchors.map((a) => [...a] as [number, number]), stride: shape.width / h.grid[0] })),
    classes: shape.classes, candidates: shape.candidates, bflops: shape.bflops, weightFloats: shape.weightFloats,
  };
}

/** The layer table in Darknet's own print format (`layer filters size input output`). */
export function formatLayerTable(info: NetworkInfo): string {
  const dims = (d: [number, number, number]) => `${String(d[0]).padStart(4)} x${String(d[1]).padStart(4)} x${String(d[2]).padStart(4)}`;
  const rows = info.layers.map((l) => {
    const i = String(l.index).padStart(5);
    switch (l.type) {
      case 'convolutional':
        return `${i} conv  ${String(l.filters).padStart(5)} ${String(l.size).padStart(2)} x${String(l.size).padStart(2)} /${String(l.stride).padStart(2)}  ${dims(l.input)}   ->  ${dims(l.output)}  ${l.bflops.toFixed(3).padStart(6)} BFLOPs`;
      case 'maxpool':
        return `${i} max          ${String(l.size).padStart(2)} x${String(l.size).padStart(2)} /${String(l.stride).padStart(2)}  ${dims(l.input)}   ->  ${dims(l.output)}`;
      case 'route':
      case 'shortcut':
        return `${i} ${l.type.padEnd(5)} ${(l.from ?? []).join(' ')}`;
      case 'upsample':
        return `${i} upsample           ${String(l.stride).padStart(2)}x  ${dims(l.input)}   ->  ${dims(l.output)}`;
      // the classifier layers, in the make_*_layer print formats
      case 'avgpool':
        return `${i} avg                     ${dims(l.input)}   ->  ${n4(l.output[2])}`;
      case 'crop':
        return `${i} crop                    ${dims(l.input)}   ->  ${dims(l.output)}`;
      case 'connected':
        return `${i} connected                            ${n4(l.inputs ?? 0)}  ->  ${n4(l.outputs)}  ${l.bflops.toFixed(3).padStart(6)} BFLOPs`;
      case 'dropout':
        return `${i} dropout                              ${n4(l.outputs)}  ->  ${n4(l.outputs)}`;
      case 'softmax':
        return `${i} softmax                                        ${n4(l.outputs)}`;
      case 'cost':
        return `${i} cost                                           ${n4(l.outputs)}`;
      default:
        return `${i} ${l.type}`;
    }
  });
  const heads = info.heads.map((h) => `  ${h.layer}: yolo ${h.grid[0]}x${h.grid[1]} stride ${h.stride}, ${h.classes} classes, anchors ${h.anchors.map((a) => a.join(',')).join('  ')}`);
  // a network without heads answers with its output layer (network_predict's: the last but [cost])
  const out = [...info.layers].reverse().find((l) => l.type !== 'cost');
  const total = info.heads.length || !out
    ? `total ${info.bflops.toFixed(2)} BFLOPs, ${info.candidates} candidate boxes`
    : `total ${info.bflops.toFixed(2)} BFLOPs, ${out.outputs} outputs from layer ${out.index} (${out.type})`;
  return ['layer     filters    size              input                output', ...rows, total, ...heads].join('\n');
}

const n4 = (n: number) => String(n).padStart(4);
