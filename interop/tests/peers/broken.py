#!/usr/bin/env python3
"""A deliberately broken interop peer, for the matrix's own tests (interop/tests/grid.rs).

It follows the peer contract of interop/SCENARIOS.md on the outside (arguments, LISTENING,
RESULT, exit code) but speaks broken muxado: whatever the scenario, its first frame is a
WNDINC whose Length is 3 instead of 4 (SPEC FRAME-1, WNDINC-1), and it claims success. The
other side must fail, and the matrix must keep the frame log that shows the bad frame.
"""
import argparse
import json
import socket
import sys

BAD_WNDINC = bytes([0x00, 0x00, 0x03, 0x20, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x01])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--role", required=True)
    p.add_argument("--dial")
    p.add_argument("--listen")
    p.add_argument("--scenario", required=True)
    for extra in ("--window", "--backlog", "--impl", "--soak-secs", "--seed"):
        p.add_argument(extra)
    args = p.parse_args()
    if (args.dial is None) == (args.listen is None):
        print("exactly one of --dial and --listen", file=sys.stderr)
        return 2
    if args.listen:
        host, port = args.listen.rsplit(":", 1)
        listener = socket.socket()
        listener.bind((host, int(port)))
        listener.listen(1)
        print("LISTENING %s:%d" % listener.getsockname(), flush=True)
        listener.settimeout(20)
        conn, _ = listener.accept()
    else:
        host, port = args.dial.rsplit(":", 1)
        conn = socket.create_connection((host, int(port)), timeout=20)
    conn.settimeout(5)
    conn.sendall(BAD_WNDINC)
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass
    conn.close()
    result = {"ok": True, "detail": "sent a WNDINC of Length 3 (and claims success)", "observed": {}}
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
