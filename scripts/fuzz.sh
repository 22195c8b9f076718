#!/usr/bin/env bash
# Builds the libFuzzer targets in test/fuzz (the addon's C path — Darknet and every C file of
# native/build.json: guard, ops, runtime, fast — with clang, AddressSanitizer and UBSan) and runs
# each for a time budget.
#   scripts/fuzz.sh [seconds per target, default 600]   (FUZZ_TARGETS="cfg weights" picks targets)
# Needs clang and libclang-rt-14-dev (apt-get install clang libclang-rt-14-dev).
# Crashes are written to build/fuzz/crash-*; add each to test/corpus/cases.ts once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-600}
SRC=$(node scripts/darknet-source.mjs)
OUT=build/fuzz
mkdir -p "$OUT/obj" "$OUT/corpus-cfg" "$OUT/corpus-weights"
# Not checked: float casts/division (Darknet's float maths on garbage values is defined by IEEE in
# practice and guarded where it matters), and pointer-overflow: every list parser in parser.c
# does `a = strchr(a, ',') + 1` once past the last entry (NULL + 1, never dereferenced).
SAN="-fsanitize=address,undefined -fno-sanitize=float-cast-overflow,float-divide-by-zero,pointer-overflow -fno-sanitize-recover=all"
CFLAGS="-O1 -g -fno-omit-frame-pointer $SAN -fsanitize=fuzzer-no-link"
objs=()
build() { # src obj extra-flags…
  local src=$1 obj=$2; shift 2
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ native/compat/prelude.h -nt "$obj" ] || [ native/guard/guard.h -nt "$obj" ] || [ native/build.json -nt "$obj" ] || [ scripts/fuzz.sh -nt "$obj" ]; then
    clang -c $CFLAGS "$@" -o "$obj" "$src"
  fi
  objs+=("$obj")
}
pids=()
for f in $(node scripts/darknet-source.mjs --list) $(node scripts/native-build.mjs darknet-extra); do
  build "$f" "$OUT/obj/$(basename "$f" .c).o" -w -include native/compat/prelude.h -Inative/compat/include -I"$SRC/include" -I"$SRC/src" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$(nproc)" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait
objs=()
for f in $(node scripts/darknet-source.mjs --list) $(node scripts/native-build.mjs darknet-extra); do objs+=("$OUT/obj/$(basename "$f" .c).o"); done
# native/build.json's C groups, each with its own flags after the sanitizer build's (-O1 first,
# the group's -O3 and FP-contraction rule last, as in the addon).
for group in c contract; do
  for f in $(node scripts/native-build.mjs sources $group); do
    build "$f" "$OUT/obj/bridge_$(echo "${f#native/}" | tr / _ | sed 's/\.c$//').o" $(node scripts/native-build.mjs cflags $group) -Inative -I"$SRC/include"
  done
done
for t in cfg weights; do
  clang $CFLAGS -fsanitize=fuzzer -Inative -Inative/guard -Inative/ops -Itest/fuzz -o "$OUT/fuzz_$t" "test/fuzz/fuzz_$t.c" "${objs[@]}" -lm -lpthread
done
echo "fuzz: built $OUT/fuzz_cfg and $OUT/fuzz_weights; ${SECS}s each"
status=0
for t in ${FUZZ_TARGETS:-cfg weights}; do
  case $t in
    cfg) args=(-max_len=4096 "$OUT/corpus-cfg" test/fuzz/seeds/cfg) ;;
    weights) args=(-max_len=32768 "$OUT/corpus-weights") ;;
  esac
  set +e
  "$OUT/fuzz_$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$OUT/crash-$t-" "${args[@]}" 2>&1 | grep -v "^#[0-9]*[[:space:]]*\(NEW\|REDUCE\|pulse\)"
  rc=${PIPESTATUS[0]}
  set -e
  echo "fuzz_$t: exit $rc"
  [ "$rc" = 0 ] || status=1
done
exit $status
