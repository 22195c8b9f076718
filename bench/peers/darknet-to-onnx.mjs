// Exports a Darknet YOLOv3-family cfg + weights to ONNX, so that onnxruntime-node can be timed on
// exactly the network the addon runs (bench/speed.mjs). Covers what yolov3, yolov3-tiny and
// yolov3-spp use: convolutional (batch-norm folded, leaky/linear), shortcut, route, upsample,
// maxpool; each [yolo] head becomes a Sigmoid output over its input (the logistic work a yolo
// layer does; box decoding stays out, as in OpenCV's timing). The protobuf is written by hand
// (ModelProto, opset 13): a benchmark peer, not a general converter.
//   usage: node darknet-to-onnx.mjs net.cfg net.weights out.onnx
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCfg, validateCfg } from '../../dist/index.js';

// ---- protobuf wire format ----
const varint = (n) => {
  const out = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; out.push(b); } while (v);
  return Buffer.from(out);
};
const key = (field, wire) => varint((field << 3) | wire);
const vint = (field, n) => Buffer.concat([key(field, 0), varint(n)]);
const bytes = (field, buf) => Buffer.concat([key(field, 2), varint(buf.length), buf]);
const str = (field, s) => bytes(field, Buffer.from(s, 'utf8'));
const f32 = (field, x) => { const b = Buffer.alloc(4); b.writeFloatLE(x); return Buffer.concat([key(field, 5), b]); };
const msg = (field, parts) => bytes(field, Buffer.concat(parts));

// AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7)
const attrInt = (name, i) => msg(5, [str(1, name), vint(3, i), vint(20, 2)]);
const attrFloat = (name, f) => msg(5, [str(1, name), f32(2, f), vint(20, 1)]);
const attrStr = (name, s) => msg(5, [str(1, name), bytes(4, Buffer.from(s)), vint(20, 3)]);
const attrInts = (name, arr) => msg(5, [str(1, name), ...arr.map((v) => vint(8, v)), vint(20, 7)]);
// NodeProto: input 1, output 2, name 3, op_type 4, attribute 5
const node = (op, inputs, outputs, attrs = []) => msg(1, [...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, outputs[0]), str(4, op), ...attrs]);
// TensorProto: dims 1, data_type 2 (FLOAT 1), name 8, raw_data 9
const tensor = (name, dims, data) => msg(5, [...dims.map((d) => vint(1, d)), vint(2, 1), str(8, name), bytes(9, Buffer.from(data.buffer, data.byteOffset, data.byteLength))]);
// ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 → dim_value 1
const valueInfo = (field, name, dims) => msg(field, [str(1, name), msg(2, [msg(1, [vint(1, 1), msg(2, dims.map((d) => msg(1, [vint(1, d)])))])])]);

const [cfgPath, weightsPath, outPath] = process.argv.slice(2);
if (!outPath) { console.error('usage: darknet-to-onnx.mjs net.cfg net.weights out.onnx'); process.exit(2); }
const cfg = parseCfg(readFileSync(cfgPath, 'utf8'), { file: cfgPath });
const shape = validateCfg(cfg);
const wbuf = readFileSync(weightsPath);
const major = wbuf.readInt32LE(0), minor = wbuf.readInt32LE(4);
let off = 12 + (major * 10 + minor >= 2 ? 8 : 4);
const take = (n) => { const a = new Float32Array(wbuf.buffer.slice(wbuf.byteOffset + off, wbuf.byteOffset + off + 4 * n)); off += 4 * n; return a; };

const nodes = [], inits = [], outputs = [];
const names = []; // output tensor name of each layer
let prev = 'input';
const opt = (s, k, d) => { const o = s.options.find((x) => x.key === k); return o === undefined ? d : o.value; };
const layers = cfg.sections.slice(1);
layers.forEach((s, i) => {
  const L = shape.layers[i];
  const type = L.type;
  const out = `l${i}`;
  if (type === 'convolutional') {
    const n = L.filters, size = L.size, stride = L.stride, groups = L.groups ?? 1, bn = L.batchNormalize;
    const pad = Number(opt(s, 'pad', 0)) ? Math.floor(size / 2) : Number(opt(s, 'padding', 0));
    const c = L.input.c;
    const bias = take(n);
    let scales, mean, variance;
    if (bn) { scales = take(n); mean = take(n); variance = take(n); }
    const w = take((n * c / groups) * size * size);
    if (bn) {
      const per = w.length / n;
      for (let f = 0; f < n; f++) {
        const k = scales[f] / (Math.sqrt(variance[f]) + 1e-6);
        for (let j = 0; j < per; j++) w[f * per + j] *= k;
        bias[f] -= mean[f] * k;
      }
    }
    inits.push(tensor(`${out}_w`, [n, c / groups, size, size], w), tensor(`${out}_b`, [n], bias));
    const act = L.activation;
    const conv = act === 'linear' ? out : `${out}_conv`;
    nodes.push(node('Conv', [prev, `${out}_w`, `${out}_b`], [conv], [attrInts('kernel_shape', [size, size]), attrInts('strides', [stride, stride]), attrInts('pads', [pad, pad, pad, pad]), attrInt('group', groups)]));
    if (act === 'leaky') nodes.push(node('LeakyRelu', [conv], [out], [attrFloat('alpha', 0.1)]));
    else if (act === 'relu') nodes.push(node('Relu', [conv], [out]));
    else if (act === 'logistic') nodes.push(node('Sigmoid', [conv], [out]));
    else if (act !== 'linear') throw new Error(`layer ${i}: activation ${act} not exported`);
  } else if (type === 'shortcut') {
    nodes.push(node('Add', [prev, names[L.from[0]]], [out]));
  } else if (type === 'route') {
    const ins = L.from.map((k) => names[k]);
    if (ins.length === 1) nodes.push(node('Identity', ins, [out]));
    else nodes.push(node('Concat', ins, [out], [attrInt('axis', 1)]));
  } else if (type === 'upsample') {
    const st = Number(opt(s, 'stride', 2));
    inits.push(tensor(`${out}_scales`, [4], new Float32Array([1, 1, st, st])));
    nodes.push(node('Resize', [prev, '', `${out}_scales`], [out], [attrStr('mode', 'nearest'), attrStr('coordinate_transformation_mode', 'asymmetric'), attrStr('nearest_mode', 'floor')]));
  } else if (type === 'maxpool') {
    const size = L.size, stride = L.stride;
    const extra = Number(opt(s, 'padding', size - 1)); // Darknet pads the right/bottom by size-1
    const oh = L.output.h, ih = L.input.h;
    const endPad = Math.max(0, (oh - 1) * stride + size - ih);
    nodes.push(node('MaxPool', [prev], [out], [attrInts('kernel_shape', [size, size]), attrInts('strides', [stride, stride]), attrInts('pads', [0, 0, Math.min(endPad, extra), Math.min(endPad, extra)])]));
  } else if (type === 'yolo') {
    nodes.push(node('Sigmoid', [prev], [out]));
    outputs.push([out, [1, L.output.c, L.output.h, L.output.w]]);
  } else {
    throw new Error(`layer ${i}: [${s.type}] not exported`);
  }
  names.push(out);
  prev = out;
});
if (off !== wbuf.length) throw new Error(`weights: read ${off} of ${wbuf.length} bytes`);

const graph = msg(7, [
  ...nodes, str(2, 'darknet'), ...inits,
  valueInfo(11, 'input', [1, shape.channels, shape.height, shape.width]),
  ...outputs.map(([n, d]) => valueInfo(12, n, d)),
]);
const model = Buffer.concat([vint(1, 7), str(2, 'darknet-node bench'), msg(8, [str(1, ''), vint(2, 13)]), graph]);
writeFileSync(outPath, model);
console.log(`${outPath}: ${nodes.length} nodes, ${outputs.length} outputs, ${(model.length / 1e6).toFixed(1)} MB`);
