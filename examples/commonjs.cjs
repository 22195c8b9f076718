// The CommonJS entry point: require('darknet-node').
const { Detector, DarknetError, SHAPES_MODEL } = require('darknet-node');

async function main() {
  const detector = await Detector.load(SHAPES_MODEL);
  try {
    const detections = await detector.detect(SHAPES_MODEL.sample);
    console.log(`${detections.length} detections:`, detections.map((d) => d.className).join(', '));
    await detector.detect('/no/such/image.png').catch((e) => {
      if (!(e instanceof DarknetError)) throw e;
      console.log(`errors are DarknetError with a code: ${e.code}`);
    });
  } finally {
    detector.dispose();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
