// Detect objects in one image and print them (the bundled shapes model; pass your own
// yolov3.cfg / yolov3.weights / coco.names the same way).
import { Detector, type Detection, SHAPES_MODEL } from 'darknet-node';

await using detector = await Detector.load({
  cfg: SHAPES_MODEL.cfg,
  weights: SHAPES_MODEL.weights,
  names: SHAPES_MODEL.names,
});
const detections: Detection[] = await detector.detect(process.argv[2] ?? SHAPES_MODEL.sample, { thresh: 0.5 });
for (const d of detections) {
  const { x, y, width, height } = d.box;
  console.log(`${d.className.padEnd(10)} ${(d.confidence * 100).toFixed(1)}%  at ${x.toFixed(0)},${y.toFixed(0)} ${width.toFixed(0)}×${height.toFixed(0)}`);
}
console.log(JSON.stringify(detections.slice(0, 2))); // toJSON(): what `darknet-node detect --json` prints
