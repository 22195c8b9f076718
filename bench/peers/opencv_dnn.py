#!/usr/bin/python3
"""OpenCV DNN peer for bench/speed.mjs: loads a Darknet cfg/weights with OpenCV's own importer
(CPU backend, OpenCV's default thread count) and answers timing requests on stdin, so that the
bench can interleave OpenCV's runs with ours (this machine's speed drifts by 20-30% over
minutes; timings taken minutes apart are not comparable).

usage: opencv_dnn.py net.cfg net.weights image size
stdin: one integer per line, N -> stdout: one JSON line {"times": [seconds × N]}"""
import json
import sys
import time

import cv2

cfg, weights, image, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
net = cv2.dnn.readNetFromDarknet(cfg, weights)
net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
im = cv2.imread(image)
if im is None:
    sys.exit(f"cannot read {image}")
# Darknet's preprocessing as OpenCV's samples do it: RGB, /255, stretched to the network size.
blob = cv2.dnn.blobFromImage(im, 1 / 255.0, (size, size), swapRB=True, crop=False)
names = net.getUnconnectedOutLayersNames()
net.setInput(blob)
net.forward(names)  # warm-up: OpenCV initializes its layers on the first pass
print(json.dumps({"ready": True, "version": cv2.__version__, "threads": cv2.getNumThreads()}), flush=True)
for line in sys.stdin:
    n = int(line)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        net.setInput(blob)
        net.forward(names)
        times.append(time.perf_counter() - t)
    print(json.dumps({"times": times}), flush=True)
