#!/usr/bin/env python3
"""A deliberately broken quantcheck adapter, for the tests of the adapter side.

Speaks the protocol correctly (an echo: scale 1, zero point 0, q 0) except for
the one fault named on the command line:
  bad-json        the response to the third case is not JSON
  crash-third     exits by SIGSEGV (os.abort() for SIGABRT with --abort) on the third case
  hang-third      never answers the third case (sleeps)
  no-handshake    exits before the handshake
  bad-handshake   the handshake line is not a handshake
  hang-handshake  never sends the handshake
  wrong-id        answers the third case with another request's id
  short-q         answers the third case with one weight too few
  huge-line       answers the third case with a 4 MiB line (over the tests' 1 MiB limit)
  close-stdin     closes its stdin and stdout after the second case, keeps running
  stderr-flood    writes 1 MiB to stderr per case, then answers correctly
  ok              no fault
"""
import json
import os
import signal
import sys
import time

fault = sys.argv[1] if len(sys.argv) > 1 else "ok"
out = sys.stdout

if fault == "no-handshake":
    sys.stderr.write("broken adapter: exiting before the handshake\n")
    sys.exit(4)
if fault == "hang-handshake":
    time.sleep(3600)
if fault == "bad-handshake":
    out.write('{"hello": "I am not a quantcheck adapter"}\n')
else:
    out.write(json.dumps({
        "protocol": "quantcheck-adapter", "protocol_version": 1, "name": "broken-" + fault,
        "modes": [{"name": "int8", "weight_type": "int8", "granularity": "per_channel",
                   "scheme": "symmetric", "qmin": -128, "qmax": 127, "bias_type": "int32",
                   "guarantees": []}]}) + "\n")
out.flush()

count = 0
for line in sys.stdin:
    count += 1
    req = json.loads(line)
    shape = req["weights"]["shape"]
    axis = req.get("channel_axis", 3 if req["op"] == "depthwise_conv2d" else 0)
    channels = shape[axis]
    n = len(req["weights"]["data"])
    nb = len(req["bias"])
    resp = {"id": req["id"],
            "weights": {"scale": [1.0] * channels, "zero_point": [0] * channels, "q": [0] * n},
            "bias": {"scale": [1.0] * nb, "q": [0] * nb}}
    if count == 3:
        if fault == "bad-json":
            out.write("{this is not json\n")
            out.flush()
            continue
        if fault == "crash-third":
            sys.stderr.write("broken adapter: crashing on case 3\n")
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGSEGV)
        if fault == "hang-third":
            time.sleep(3600)
        if fault == "wrong-id":
            resp["id"] = req["id"] + 1000
        if fault == "short-q":
            resp["weights"]["q"] = [0] * (n - 1)
        if fault == "huge-line":
            out.write('{"id": %d, "pad": "' % req["id"])
            chunk = "x" * (1 << 20)
            try:
                for _ in range(4):
                    out.write(chunk)
            except BrokenPipeError:
                os._exit(0)
            out.write('"}\n')
            out.flush()
            continue
    if fault == "stderr-flood":
        sys.stderr.write("noise " * (1 << 17) + "\n")
        sys.stderr.flush()
    out.write(json.dumps(resp) + "\n")
    out.flush()
    if fault == "close-stdin" and count == 2:
        sys.stdin.close()
        os.close(0)
        os.close(1)
        time.sleep(3600)
