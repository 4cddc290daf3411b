#!/usr/bin/env python3
"""Writes crafted Ethernet frames out of an interface through a raw AF_PACKET socket, noting
when each left (time.monotonic() just before its send). Run inside a host namespace by
bench/benchlib.py send_frames().

    frame_sender.py IFACE FRAMES_FILE FRAME_SIZE GAP_S RATE OUT_JSON [START]

FRAMES_FILE holds the frames back to back, FRAME_SIZE bytes each. GAP_S > 0: one frame every
GAP_S seconds (latency runs: each frame is its own sample). Otherwise RATE > 0 paces the
frames at RATE per second (bulk runs), and RATE 0 sends as fast as the socket takes them.
START: the time.monotonic() at which to send the first frame (default: at once; the
clock is the machine's, so another process can interleave its own writes).
A send refused for a full queue (ENOBUFS) is retried after a short pause and counted.
OUT_JSON: {"times": [...], "first": t, "last": t, "enobufs": n, "cpu_s": the sender's CPU
time while sending, the kernel's work in its send calls included}.
"""
import json
import socket
import sys
import time


def main():
    iface, path, size, gap, rate, out = sys.argv[1:7]
    size, gap, rate = int(size), float(gap), float(rate)
    start = float(sys.argv[7]) if len(sys.argv) > 7 else 0.0
    data = open(path, "rb").read()
    frames = [data[i:i + size] for i in range(0, len(data), size)]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    times = [0.0] * len(frames)
    enobufs = 0
    mono = time.monotonic
    send = s.send
    start = start or mono()
    cpu0 = time.process_time()
    for i, f in enumerate(frames):
        if gap > 0:
            due = start + i * gap
            while (d := due - mono()) > 0:
                time.sleep(d if d > 0.002 else 0)
        elif (rate > 0 and i % 64 == 0) or i == 0:
            due = start + (i / rate if rate > 0 else 0)
            while (d := due - mono()) > 0:
                time.sleep(d if d > 0.002 else 0)
        while True:
            t = mono()
            try:
                send(f)
                break
            except OSError:  # ENOBUFS: the device queue is full
                enobufs += 1
                time.sleep(0.0005)
        times[i] = t
    with open(out, "w") as fo:
        json.dump({"times": times, "first": times[0], "last": times[-1], "enobufs": enobufs,
                   "cpu_s": time.process_time() - cpu0}, fo)


if __name__ == "__main__":
    main()
