# Plain node-gyp CPU build of the same addon CMakeLists.txt builds (used for portable prebuilds).
# The Darknet sources come from scripts/darknet-source.mjs: the submodule, or the sha256-verified
# Debian copy. See native/guard.h for why Darknet is compiled through native/compat.
{
  "variables": {
    "darknet_src": "<!(node scripts/darknet-source.mjs)",
  },
  "targets": [
    {
      "target_name": "darknet_core",
      "type": "static_library",
      "sources": [
        "<!@(node scripts/darknet-source.mjs --list=gyp)",
        "native/compat/utils_tu.c",
      ],
      "include_dirs": [
        "native/compat/include",
        "<(darknet_src)/include",
        "<(darknet_src)/src",
      ],
      # Darknet relies on its asserts (the guard turns them into errors): no NDEBUG here.
      "defines!": ["NDEBUG"],
      "cflags": ["-include", "<(module_root_dir)/native/compat/prelude.h", "-O3", "-ffp-contract=off", "-fopenmp", "-fPIC", "-w", "-fvisibility=hidden"],
      "cflags!": ["-O2", "-O0"],
      "direct_dependent_settings": {
        "include_dirs": ["<(darknet_src)/include"],
      },
    },
    {
      # native/direct.c with FMA contraction, as CMakeLists.txt compiles it: a prebuilt binary and a
      # source build must run the same arithmetic (test/system/install.test.ts compares them).
      "target_name": "darknet_direct",
      "type": "static_library",
      "sources": ["native/direct.c"],
      "include_dirs": ["native"],
      "cflags": ["-fvisibility=hidden", "-O3", "-ffp-contract=fast", "-fopenmp", "-fPIC"],
      "cflags!": ["-O2"],
    },
    {
      "target_name": "darknet",
      "dependencies": ["darknet_core", "darknet_direct"],
      "sources": [
        "native/addon.cc",
        "native/network.cc",
        "native/workers.cc",
        "native/guard.c",
        "native/ops.c",
        "native/lean.c",
        "native/weights_io.c",
        "native/train.c",
        "native/train_worker.cc",
        "native/fast.c",
        "native/winograd.c",
        "native/letterbox.c",
        "native/nms.c",
        "native/im2col.c",
        "native/matmul.c",
        "native/rand.c",
        "native/classify.c",
        "native/classify_worker.cc",
        "native/jpeg.c",
        "native/jpeg_worker.cc",
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "<!@(node scripts/find-blas.mjs --include)",
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "DN_OPENMP=1",
        "DN_JPEG=<!(node -p \"require('fs').existsSync('/usr/include/jpeglib.h') ? 1 : 0\")",
        "DN_BLAS=<!(node scripts/find-blas.mjs --define)",
        "DARKNET_COMMIT=\"f6afaabcdf85f77e7aff2ec55c020c0e297c77f9\"",
        "DARKNET_ORIGIN=\"node-gyp\"",
      ],
      # -O3 and Darknet's rounding (no FMA contraction) for native/fast.c's loops; see CMakeLists.txt.
      "cflags": ["-fvisibility=hidden", "-O3", "-ffp-contract=off", "-fopenmp"],
      "cflags!": ["-O2"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-fvisibility=hidden"],
      "cflags_cc!": ["-fno-exceptions"],
      # Hide Darknet's globals (its error() would bind to glibc's error(3)); see CMakeLists.txt.
      "ldflags": ["-fopenmp", "-Wl,--exclude-libs,ALL", "-Wl,-Bsymbolic"],
      "libraries": ["<!@(node scripts/find-blas.mjs --lib)", "-lm", "-lpthread", "-ldl"],
    },
  ],
}
