# Plain node-gyp CPU build of the same addon CMakeLists.txt builds (used for portable prebuilds).
# What is compiled, and with which flags, is native/build.json (scripts/native-build.mjs reads it
# here); one static library per flag group, so that every file gets exactly its group's flags.
# The Darknet sources come from scripts/darknet-source.mjs: the submodule, or the sha256-verified
# Debian copy. See native/guard/guard.h for why Darknet is compiled through native/compat.
{
  "variables": {
    "darknet_src": "<!(node scripts/darknet-source.mjs)",
  },
  "target_defaults": {
    # Darknet relies on its asserts (the guard turns them into errors): no NDEBUG anywhere.
    "defines!": ["NDEBUG"],
    # build.json's flags come after node-gyp's own (the last -O wins)
    "cflags_cc!": ["-fno-exceptions"],
  },
  "targets": [
    {
      "target_name": "darknet_core",
      "type": "static_library",
      "sources": [
        "<!@(node scripts/darknet-source.mjs --list=gyp)",
        "<!@(node scripts/native-build.mjs darknet-extra)",
      ],
      "include_dirs": [
        "native/compat/include",
        "<(darknet_src)/include",
        "<(darknet_src)/src",
      ],
      "cflags": ["-include", "<(module_root_dir)/native/compat/prelude.h", "<!@(node scripts/native-build.mjs cflags darknet)", "-fopenmp", "-fPIC", "-fvisibility=hidden"],
      "direct_dependent_settings": {
        "include_dirs": ["<(darknet_src)/include"],
      },
    },
    {
      "target_name": "darknet_bridge_c",
      "type": "static_library",
      "dependencies": ["darknet_core"],
      "sources": ["<!@(node scripts/native-build.mjs sources c)"],
      "include_dirs": ["native", "<(darknet_src)/include", "<!@(node scripts/find-blas.mjs --include)"],
      "defines": ["DN_BLAS=<!(node scripts/find-blas.mjs --define)", "DN_JPEG=<!(node scripts/native-build.mjs jpeg)", "DN_DNNL=<!(node scripts/native-build.mjs dnnl)"],
      "cflags": ["<!@(node scripts/native-build.mjs cflags c)", "-fopenmp", "-fPIC", "-fvisibility=hidden"],
    },
    {
      "target_name": "darknet_bridge_contract",
      "type": "static_library",
      "sources": ["<!@(node scripts/native-build.mjs sources contract)"],
      "include_dirs": ["native"],
      "cflags": ["<!@(node scripts/native-build.mjs cflags contract)", "-fopenmp", "-fPIC", "-fvisibility=hidden"],
    },
    {
      "target_name": "darknet",
      "dependencies": ["darknet_core", "darknet_bridge_c", "darknet_bridge_contract"],
      "sources": ["<!@(node scripts/native-build.mjs sources cxx)"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
      ],
      "defines": [
        "<!@(node scripts/native-build.mjs defines)",
        "DN_OPENMP=1",
        "DN_BLAS=<!(node scripts/find-blas.mjs --define)",
        "DARKNET_COMMIT=\"<!(node scripts/native-build.mjs commit)\"",
        "DARKNET_ORIGIN=\"node-gyp\"",
        "DARKNET_SOURCE_HASH=\"<!(node scripts/native-build.mjs darknet-hash)\"",
      ],
      "cflags_cc": ["<!@(node scripts/native-build.mjs cflags cxx)", "-std=c++17", "-fexceptions", "-fvisibility=hidden"],
      # Hide Darknet's globals (its error() would bind to glibc's error(3)); see CMakeLists.txt.
      "ldflags": ["-fopenmp", "-Wl,--exclude-libs,ALL", "-Wl,-Bsymbolic"],
      "libraries": ["<!@(node scripts/find-blas.mjs --lib)", "-lm", "-lpthread", "-ldl"],
    },
  ],
}
