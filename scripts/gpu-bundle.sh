#!/usr/bin/env bash
# Prepares the GPU check for a machine lent through this workplace's device tool, which has a GPU,
# CUDA and cuDNN in its Python (pip wheels) but no Node.js and no network: builds the GPU addon
# here for sm_90 (Hopper), then packs it with the compiled library, a Node binary, the cfgs and the
# sample images into .gpu-check/ (ignored by git; about 40 MB). On the device, one call:
#   run(command: "bash .gpu-check/run.sh", carry: [".gpu-check"], timeout_s: 480)
# prints the checks and the speed table (scripts/check-gpu.mjs) and returns check-gpu.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH="${DARKNET_CUDA_ARCHS:-90}"
DARKNET_GPU=ON DARKNET_CUDA_ARCHS="$ARCH" node scripts/build.mjs --force
npx tsc -p tsconfig.build.json
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/cfg" "$stage/images" "$stage/lib" .gpu-check
cp -r dist "$stage/dist"
cp build/Release/darknet.node build/Release/darknet_gpu.node "$stage/"
cp -r node_modules/node-gyp-build "$stage/node-gyp-build"
cp /usr/share/darknet/cfg/yolov3.cfg /usr/share/darknet/cfg/yolov3-tiny.cfg "$stage/cfg/"
# the sample images as raw RGB (what test/helpers/fixtures.ts writes): no image decoder needed there
node --input-type=module -e "
import sharp from 'sharp';
import { writeFileSync } from 'node:fs';
for (const n of ['dog', 'eagle', 'giraffe', 'horses']) {
  const { data, info } = await sharp('/usr/share/darknet/data/' + n + '.jpg').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  writeFileSync('$stage/images/' + n + '.rgb', Buffer.concat([Buffer.from(info.width + ' ' + info.height + ' 3\n'), data]));
}"
cp "$(command -v node)" "$stage/node"
cp "$(gcc -print-file-name=libgomp.so.1)" "$stage/lib/" # OpenMP runtime, in case the image lacks it
tar -C "$stage" -cf - . | xz -T0 -6 > .gpu-check/bundle.tar.xz
cat > .gpu-check/run.sh <<'RUN'
#!/usr/bin/env bash
# On the device machine (see scripts/gpu-bundle.sh): unpack, find CUDA's libraries in its Python, check.
set -euo pipefail
cd "$(dirname "$0")/.."
g=/tmp/gpu-check && rm -rf $g && mkdir -p $g && tar -C $g -xJf .gpu-check/bundle.tar.xz
rm -rf dist && cp -r $g/dist dist && mkdir -p build/Release node_modules && cp $g/*.node build/Release/
rm -rf node_modules/node-gyp-build && cp -r $g/node-gyp-build node_modules/
NODE=$(command -v node || echo $g/node)
NV=$(python3 -c "import nvidia, os; print(':'.join(os.path.join(p, s, 'lib') for p in nvidia.__path__ for s in ('cu13', 'cudnn', 'cuda_runtime', 'cublas', 'curand') if os.path.isdir(os.path.join(p, s, 'lib'))))" 2>/dev/null || true)
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$NV:/usr/local/cuda/lib64:$g/lib"
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.used --format=csv || true
"$NODE" scripts/check-gpu.mjs --cfg-dir $g/cfg --images $g/images --out "${OUT:-bench/results}"
RUN
du -sh .gpu-check/bundle.tar.xz
echo 'ready: run(command: "bash .gpu-check/run.sh", carry: [".gpu-check"], timeout_s: 480)'
