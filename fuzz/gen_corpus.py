#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from the vectors (python3 stdlib only).

    python3 fuzz/gen_corpus.py [OUT_DIR]     (default: fuzz/corpus)

- frame_decode: each frame vector's bytes, behind a 2-byte chunking seed (several seeds each).
- frame_roundtrip: the same bytes (the target reads them through `arbitrary`).
- session: each session vector's script in the session target's op encoding (see
  src/session/mod.rs, `run_single`): its frames and raw bytes as inbound data, its calls as
  commands; expectations are dropped (the target checks invariants, not scripts).
- session_pair: the session corpus again plus a few deterministic random op sequences.
Files are named by the SHA-1 of their content, like libFuzzer's own.
"""
import glob
import hashlib
import json
import os
import random
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "corpus")

# Frames are encoded by the vector generators' encoder.
sys.path.insert(0, os.path.join(ROOT, "vectors", "gen"))
from frames import code, encode as encode_frame, filled  # noqa: E402


def rust_table(name):
    """A config table as the session harness declares it (`pub const NAME: [T; N] = [...]` in
    src/session/input.rs): a config byte must select here what it selects there."""
    with open(os.path.join(ROOT, "fuzz", "src", "session", "input.rs")) as f:
        m = re.search(r"pub const %s: \[\w+; \d+\] = \[([^\]]*)\];" % name, f.read())
    return [int(v.replace("_", "")) for v in m.group(1).split(",")]


WINDOWS = rust_table("WINDOWS")
BACKLOGS = rust_table("BACKLOGS")
MAX_STREAMS = rust_table("MAX_STREAMS")


def write(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def unhex(s):
    return bytes.fromhex(s.replace(" ", ""))


def vector_bytes(v):
    data = unhex(v["hex"])
    if "fill" in v:
        data += unhex(v["fill"]["byte"]) * v["fill"]["count"]
    return data


def frame_corpora():
    for path in sorted(glob.glob(os.path.join(ROOT, "vectors", "frames", "*.json"))):
        for v in json.load(open(path))["vectors"]:
            data = vector_bytes(v)
            if len(data) > 70000:
                continue
            for seed in (0, 1, 2, 3, 0x1233):
                write("frame_decode", struct.pack("<H", seed) + data)
            write("frame_roundtrip", data)


def config_byte(cfg):
    def idx(table, key, default):
        value = cfg.get(key, default)
        return table.index(value) if value in table else 0
    b = idx(WINDOWS, "max_window_size", 262144)
    b |= idx(BACKLOGS, "accept_backlog", 128) << 3
    b |= idx(MAX_STREAMS, "max_streams", 65536) << 5
    if cfg.get("max_goaway_debug", 1 << 20) != 1 << 20:
        b |= 0x80
    return b


def recv_raw(data):
    out = b""
    while True:
        part, data = data[:0xFFFF], data[0xFFFF:]
        out += bytes([0]) + struct.pack("<H", len(part)) + part
        if not data:
            return out


def flat_steps(steps):
    """Each step's action and argument, in order; a step's `pins` is left out, and an
    `expect_sent_one_of` is followed by the `then` steps of its first alternative."""
    for step in steps:
        (action, arg), = ((k, a) for k, a in step.items() if k != "pins")
        yield action, arg
        if action == "expect_sent_one_of" and arg:
            yield from flat_steps(arg[0].get("then", []))


def session_script(v):
    known = []

    def sel(sid):
        return known.index(sid) if sid in known else 0x80 | (sid & 0x7F)

    role = 1 if v["role"] == "server" else 0
    out = bytes([role, config_byte(v.get("config", {}))]) + struct.pack("<H", 0)
    for action, arg in flat_steps(v["steps"]):
        if action == "recv_delayed":
            action, arg = "recv", arg["frames"]
        elif action in ("open_typed", "accept_typed"):
            action = action[: -len("_typed")]
        if action == "recv":
            out += recv_raw(b"".join(encode_frame(f) for f in arg))
        elif action == "recv_hex":
            out += recv_raw(unhex(arg))
        elif action == "recv_eof":
            out += bytes([12])
        elif action == "advance_ms":
            out += bytes([11]) + struct.pack("<H", min(arg, 0xFFFF))
        elif action == "open":
            out += bytes([2])
            sid = arg.get("expect", {}).get("stream_id")
            if sid is not None:
                known.append(sid)
        elif action == "accept":
            out += bytes([3])
            sid = arg.get("expect", {}).get("stream_id")
            if sid is not None:
                known.append(sid)
        elif action == "write":
            data = filled(arg, "data")
            out += bytes([4, sel(arg["stream_id"])]) + struct.pack("<H", min(len(data), 0xFFFF))
        elif action == "read":
            out += bytes([5, sel(arg["stream_id"])]) + struct.pack("<H", min(arg.get("max", 1024), 0xFFFF))
        elif action == "close_write":
            out += bytes([6, sel(arg["stream_id"])])
        elif action == "reset":
            out += bytes([7, sel(arg["stream_id"]), code(arg.get("error_code", 6)) & 0xFF])
        elif action == "close_stream":
            out += bytes([8, sel(arg["stream_id"])])
            if arg["stream_id"] in known:
                known.remove(arg["stream_id"])
        elif action == "go_away":
            debug = unhex(arg.get("debug", ""))
            out += bytes([9, code(arg.get("error_code", 0)) & 0xFF, min(len(debug), 255)])
        elif action == "close":
            out += bytes([10])
    return out


def session_corpora():
    for path in sorted(glob.glob(os.path.join(ROOT, "vectors", "sessions", "*.json"))):
        for v in json.load(open(path))["vectors"]:
            script = session_script(v)
            if len(script) <= 70000:
                write("session", script)


def pair_corpora():
    rng = random.Random(6)
    for n in range(40):
        out = bytes([rng.randrange(256), rng.randrange(256), rng.randrange(256)])
        for _ in range(rng.randrange(4, 60)):
            op = rng.choice([0, 0, 1, 2, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 10])
            side = rng.randrange(2) << 4
            if op in (2, 3):
                out += bytes([op | side, rng.randrange(4)]) + struct.pack("<H", rng.randrange(5000))
            elif op in (4, 6):
                out += bytes([op | side, rng.randrange(4)])
            elif op == 5:
                out += bytes([op | side, rng.randrange(4), rng.randrange(12)])
            elif op == 7:
                out += bytes([op | side, rng.randrange(12)])
            elif op in (9, 10):
                out += bytes([op | side]) + struct.pack("<H", rng.randrange(1, 3000))
            else:
                out += bytes([op | side])
        write("session_pair", out)


if __name__ == "__main__":
    frame_corpora()
    session_corpora()
    pair_corpora()
    for target in ("frame_decode", "frame_roundtrip", "session", "session_pair"):
        d = os.path.join(OUT, target)
        print(f"{target}: {len(os.listdir(d))} seeds in {d}")
