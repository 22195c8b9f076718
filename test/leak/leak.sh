#!/usr/bin/env bash
# Runs test/leak/run.mjs under valgrind memcheck and fails if any "definitely lost" block was
# allocated through the addon (darknet.node: the bridge, the guard, Darknet itself). Node's own
# allocations are not our business here. Blocks of 1 MB and more are mmap'd by the guard and
# invisible to valgrind: test/native/runtime.test.ts and test/system/soak.test.ts watch those through RSS.
# Needs valgrind (apt-get install valgrind); about 10 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp)
valgrind --leak-check=full --show-leak-kinds=definite --num-callers=30 --log-file="$log" \
  node --jitless test/leak/run.mjs
leaks=$(awk '/definitely lost in loss record/{rec=$0; keep=0; next} rec!="" && /darknet\.node/{keep=1} rec!="" && /^==[0-9]+==[ ]*$/{if(keep) print rec; rec=""}' "$log")
grep -E "definitely lost:|ERROR SUMMARY" "$log" || true
if [ -n "$leaks" ]; then
  echo "leaks attributed to darknet.node:"; echo "$leaks"
  grep -A30 "definitely lost in loss record" "$log" | grep -B5 -A25 darknet.node | head -80
  exit 1
fi
echo "no definite leak through darknet.node"
