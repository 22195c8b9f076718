// The CommonJS entry point: require('darknet-node').
const { join } = require('node:path');
const { Detector, DarknetError } = require('darknet-node');

const model = (f) => join(__dirname, '..', 'models', 'shapes', f);

async function main() {
  const detector = await Detector.load({ cfg: model('shapes.cfg'), weights: model('shapes.weights'), names: model('shapes.names') });
  try {
    const detections = await detector.detect(model('sample.png'));
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
