#!/usr/bin/env python3
"""Writes the synthetic captures under tools/wireshark/captures/ (deterministic; run again to
regenerate, `--check` to verify the committed files are what this script writes).

- transcripts.pcap: sessions recorded from the interop matrix (reference against Go v2.0.2,
  vectors/transcripts/*.json) put back on the wire: one TCP connection per transcript, the
  frames each side sent at one instant in one segment, segments cut at 1000 bytes, so frames
  share segments and span them. Payloads the transcript keeps only by length and hash
  (over 4096 bytes) are filled with a pattern of that length.
- hostile.pcap: what a conforming peer never sends, on port 4322 (the check decodes it by the
  port preference, since the heuristic rightly refuses it): frames split inside the header and
  byte by byte, many frames per segment, a retransmitted segment, undefined flags, reserved bits,
  unknown types, unknown and local-only error codes, non-ASCII debug text, and one connection
  per connection error of SPEC section 4 (each direction's decoding stops at its first).
- not-muxado.pcap: HTTP, SSH, TLS, a length-prefixed protocol and 300 random segments on one
  port: the heuristic must claim none of it.
"""

import json
import pathlib
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "captures"

TRANSCRIPTS = [
    "half-close.ref-client.go-v2.0.2",
    "goaway-from-client.ref-client.go-v2.0.2",
    "goaway-from-server.ref-server.go-v2.0.2",
    "fin-first-reply.ref-server.go-v2.0.2",
    "typed.ref-client.go-v2.0.2",
    "backlog.ref-server.go-v2.0.2",
]
TYPES = {"RST": 0, "DATA": 1, "WNDINC": 2, "GOAWAY": 3}


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_packet(src, dst, sport, dport, seq, ack, flags, payload):
    """Ethernet + IPv4 + TCP with correct checksums."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = struct.pack("!4s4sBBH", bytes(src), bytes(dst), 0, 6, len(tcp) + len(payload))
    c = checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp + payload


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


class Capture:
    def __init__(self):
        self.packets = []  # (time µs, bytes)
        self.time = 0

    def connection(self, cport, sport, client_ip=(10, 0, 0, 1), server_ip=(10, 0, 0, 2),
                   handshake=True):
        return Connection(self, cport, sport, client_ip, server_ip, handshake)

    def add(self, packet):
        self.time += 100  # distinct times, so both decoders order packets alike
        self.packets.append((self.time, packet))

    def bytes(self):
        out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
        for t, p in self.packets:
            out.append(struct.pack("<IIII", 1_700_000_000 + t // 1_000_000, t % 1_000_000,
                                   len(p), len(p)))
            out.append(p)
        return b"".join(out)


class Connection:
    def __init__(self, cap, cport, sport, cip, sip, handshake):
        self.cap = cap
        self.ends = {"c2s": (cip, sip, cport, sport), "s2c": (sip, cip, sport, cport)}
        self.seq = {"c2s": 1000, "s2c": 5000}
        if not handshake:
            return
        cap.add(tcp_packet(cip, sip, cport, sport, 999, 0, SYN, b""))
        cap.add(tcp_packet(sip, cip, sport, cport, 4999, 1000, SYN | ACK, b""))
        cap.add(tcp_packet(cip, sip, cport, sport, 1000, 5000, ACK, b""))

    def send(self, d, payload, resend=False):
        other = "s2c" if d == "c2s" else "c2s"
        src, dst, sp, dp = self.ends[d]
        seq = self.seq[d] - (len(payload) if resend else 0)
        self.cap.add(tcp_packet(src, dst, sp, dp, seq, self.seq[other], PSH | ACK, payload))
        if not resend:
            self.seq[d] += len(payload)

    def send_cut(self, d, data, size):
        for i in range(0, len(data), size):
            self.send(d, data[i:i + size])

    def close(self):
        for d in ("c2s", "s2c"):
            other = "s2c" if d == "c2s" else "c2s"
            src, dst, sp, dp = self.ends[d]
            self.cap.add(tcp_packet(src, dst, sp, dp, self.seq[d], self.seq[other], FIN | ACK, b""))
            self.seq[d] += 1


def frame(ftype, flags, sid, body=b"", length=None):
    n = len(body) if length is None else length
    return struct.pack("!I", n)[1:] + bytes([ftype << 4 | flags]) + struct.pack("!I", sid) + body


def from_json(fr):
    kind = fr["type"]
    ftype = fr.get("type_code", TYPES.get(kind))
    if kind == "RST":
        body = struct.pack("!I", fr["error_code"])
    elif kind == "WNDINC":
        body = struct.pack("!I", fr["increment"])
    elif kind == "GOAWAY":
        body = struct.pack("!II", fr["last_stream_id"], fr["error_code"]) + bytes.fromhex(
            fr.get("debug", ""))
        if "debug_len" in fr:
            body += bytes(i % 251 for i in range(fr["debug_len"]))
    elif "payload_len" in fr:
        body = bytes(i % 251 for i in range(fr["payload_len"]))
    else:
        body = bytes.fromhex(fr.get("payload", ""))
    return frame(ftype, fr["flags"], fr["stream_id"], body)


def transcripts():
    cap = Capture()
    for i, name in enumerate(TRANSCRIPTS):
        t = json.loads((ROOT / "vectors" / "transcripts" / f"{name}.json").read_text())
        conn = cap.connection(40000 + i, 41234)
        pending = None  # (dir, t_us, bytes): frames one side sent at one instant
        for entry in t["frames"]:
            if "frame" not in entry:
                continue
            key = (entry["dir"], entry["t_us"])
            if pending and pending[0] != key:
                conn.send_cut(pending[0][0], pending[1], 1000)
                pending = None
            if pending is None:
                pending = (key, b"")
            pending = (key, pending[1] + from_json(entry["frame"]))
        if pending:
            conn.send_cut(pending[0][0], pending[1], 1000)
        conn.close()
    return cap


def rst(sid, code):
    return frame(0, 0, sid, struct.pack("!I", code))


def wndinc(sid, inc):
    return frame(2, 0, sid, struct.pack("!I", inc))


def goaway(last, code, debug=b"", sid=0):
    return frame(3, 0, sid, struct.pack("!II", last, code) + debug)


def hostile():
    cap = Capture()
    port = 4322
    # 1: valid but odd frames, every way of cutting them.
    c = cap.connection(50001, port)
    hello = frame(1, 0x2, 3, b"hello")
    c.send("c2s", hello[:3])           # inside the header
    c.send("c2s", hello[3:9])
    c.send("c2s", hello[9:])
    for b in frame(1, 0x1, 3, b"bye"):  # byte by byte
        c.send("c2s", bytes([b]))
    many = (wndinc(3, 5) + frame(1, 0x2 | 0x4 | 0x8, 2, b"undefined flags")
            + frame(1, 0, 0x80000002, b"reserved bit") + wndinc(2, 0x80000010)
            + frame(0x7, 0xF, 0, b"unknown type 7") + frame(0xF, 0, 9)
            + rst(2, 0x1234) + rst(4, 0xC) + rst(6, 0xFF)
            + frame(0, 0x5, 8, struct.pack("!I", 7)) + frame(2, 0x8, 8, struct.pack("!I", 1))
            + frame(3, 0xF, 0, struct.pack("!II", 2, 0)))
    c.send("s2c", many)
    c.send("s2c", many[-12:], resend=True)  # a retransmission
    big = frame(1, 0x3, 5, bytes(i % 256 for i in range(5000)))
    c.send_cut("c2s", big, 1400)
    c.send("c2s", frame(1, 0, 7, b"x" * 3) + frame(1, 0x3, 7, b"")[:5])
    debug = "bye \"now\"\n\u00e9".encode()
    c.send("c2s", frame(1, 0x3, 7, b"")[5:] + goaway(0x80000007, 0x0, debug))
    # Every code of SPEC section 9 by name, in RSTs (codes the sender must not use included).
    codes = list(range(0x10)) + [0xFF]
    c.send("s2c", b"".join(rst(11 + 2 * i, code) for i, code in enumerate(codes)))
    c.send("s2c", goaway(3, 0x1, b"\xff\xfe not utf-8") + goaway(3, 0x12345678, b"", ))
    c.close()
    # 2..: one connection error per connection, after a valid frame; then bytes that
    # would be a frame (ignored by the project's decoder, still shown by the dissector).
    errors = [
        frame(0, 0, 3, b"\0\0\0\0\0"),                       # [RST-1] length 5
        frame(0, 0, 0, b""),                                 # [RST-1] before [RST-2] (FRAME-7)
        rst(0, 0x1),                                         # [RST-2]
        frame(1, 0x2, 0, b"x"),                              # [DATA-1]
        frame(2, 0, 3, b"\0\0\0\0\0\0\0\x01"),              # [WNDINC-1]
        wndinc(0, 1),                                        # [WNDINC-2]
        wndinc(3, 0x80000000),                               # [WNDINC-4] after masking
        frame(3, 0, 0, b"\0\0\0\x01"),                       # [GOAWAY-1]
        goaway(1, 0, b"", sid=5),                            # [GOAWAY-2]
    ]
    for i, bad in enumerate(errors):
        c = cap.connection(50100 + i, port)
        c.send("c2s", frame(1, 0x2, 3, b"hi") + bad[:7])
        c.send("c2s", bad[7:] + wndinc(3, 1))
        c.send("s2c", wndinc(3, 2))
        c.close()
    return cap


def not_muxado():
    """Other protocols and noise on an unregistered port: the heuristic must claim none."""
    import random
    rng = random.Random(18)
    cap = Capture()
    talks = [
        (b"GET / HTTP/1.1\r\nHost: example\r\n\r\n",
         b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        (b"SSH-2.0-OpenSSH_9.2\r\n", b"SSH-2.0-OpenSSH_9.2\r\n"),
        (bytes.fromhex("160301006a0100006603030000"), bytes.fromhex("1603030035020000310303")),
        (b"\0\0\0\x0c\0\0\0\x01hello world!", b"\0\0\0\x02ok"),
    ]
    for i, (ask, answer) in enumerate(talks):
        c = cap.connection(52000 + i, 41235)
        c.send("c2s", ask)
        c.send("s2c", answer)
        c.close()
    # Random first segments, without handshakes to keep the file small.
    for i in range(150):
        c = cap.connection(53000 + i, 41235, handshake=False)
        for d in ("c2s", "s2c"):
            c.send(d, bytes(rng.randrange(256) for _ in range(rng.randrange(8, 48))))
    return cap


def main():
    check = "--check" in sys.argv[1:]
    OUT.mkdir(exist_ok=True)
    bad = False
    for name, cap in [("transcripts.pcap", transcripts()), ("hostile.pcap", hostile()),
                      ("not-muxado.pcap", not_muxado())]:
        data = cap.bytes()
        path = OUT / name
        if check:
            if not path.exists() or path.read_bytes() != data:
                print(f"{path} is not what {pathlib.Path(__file__).name} writes", file=sys.stderr)
                bad = True
        else:
            path.write_bytes(data)
            print(f"wrote {path.relative_to(ROOT)} ({len(data)} bytes)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
