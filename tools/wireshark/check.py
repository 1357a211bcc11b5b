#!/usr/bin/env python3
"""Compares what tshark decodes with tools/wireshark/muxado.lua against the project's own
decoder (`muxado-interop decode --pcap`), frame for frame, per connection and direction.

Usage: check.py DECODER CAPTURE [--filters] [tshark options...]

DECODER is the muxado-interop program. tshark's answer is read as PDML; each frame's line is
rebuilt from the dissector's fields (type name, stream id, length, flags, SYN/FIN, error code
name, increment, last stream id, debug data) in the frame log's format, so a wrong field or name
shows as a mismatch. The dissector's own summary (its Info column text) must be that line too.
Where the project's decoder reports a connection error (`VIOLATION [ID] message`, after which it
stops that direction), the dissector must mark that frame with the same message as its first
expert error; frames after it in that direction are not compared. With --filters, display
filters (`muxado.type == "RST"`, `muxado.stream_id == 3`, ...) must select exactly the packets
holding the frames they name.
"""

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

LUA = "tools/wireshark/muxado.lua"


def rust_debug(raw):
    """Rust's `{:?}` of `String::from_utf8_lossy(raw)`, for the characters captures hold."""
    text = raw.decode("utf-8", errors="replace")
    out = []
    for ch in text:
        esc = {"\0": "\\0", "\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
        if ch in esc:
            out.append(esc[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def code_text(field):
    """`NAME (0x1)` or `0x1234` from the error code field's shown name (its value_string)."""
    m = re.search(r"Error Code: (.+) \((0x[0-9a-fA-F]+)\)$", field.get("showname"))
    name, value = m.group(1), int(m.group(2), 16)
    return f"{name} ({value:#x})" if name != "Unknown" else f"{value:#x}"


def frame_line(proto):
    """The frame log line rebuilt from one muxado PDU's fields, and its first expert error."""
    fields = {}
    violation = None
    for el in proto.iter("field"):
        name = el.get("name")
        if name == "muxado.violation" and violation is None:
            violation = el.get("showname")
        fields.setdefault(name, el)

    def show(name):
        return fields[name].get("show")

    m = re.search(r"Type: (\S+) \((0x[0-9a-f]+)\)", fields["muxado.type"].get("showname"))
    type_name, type_value = m.group(1), int(m.group(2), 16)
    if type_name == "UNKNOWN":
        type_name = f"UNKNOWN({type_value:#x})"
    sid = int(show("muxado.stream_id"))
    length = int(show("muxado.length"))
    flags = int(show("muxado.flags"), 16)
    # [FRAME-9]: the log shows the flags a receiver takes, undefined bits ignored.
    flags &= {"DATA": 0x3, "RST": 0, "WNDINC": 0, "GOAWAY": 0}.get(type_name, 0xF)
    line = f"{type_name} stream_id={sid:#x} length={length} flags={flags:#x}"
    if type_name == "DATA":
        if show("muxado.flags.syn") in ("1", "True"):
            line += " SYN"
        if show("muxado.flags.fin") in ("1", "True"):
            line += " FIN"
    elif type_name == "RST" and "muxado.error_code" in fields:
        line += " error_code=" + code_text(fields["muxado.error_code"])
    elif type_name == "WNDINC" and "muxado.wndinc.increment" in fields:
        line += " increment=" + show("muxado.wndinc.increment")
    elif type_name == "GOAWAY" and "muxado.error_code" in fields:
        last = int(show("muxado.goaway.last_stream_id"))
        debug = b""
        if "muxado.goaway.debug_data" in fields:
            debug = bytes.fromhex(fields["muxado.goaway.debug_data"].get("value"))
        line += (f" last_stream_id={last:#x} error_code={code_text(fields['muxado.error_code'])}"
                 f" debug={rust_debug(debug)}")
    summary = show("muxado.summary") if "muxado.summary" in fields else "(no summary)"
    return line, violation, summary


def tshark_frames(capture, options):
    pdml = subprocess.run(
        ["tshark", "-X", f"lua_script:{LUA}", "-r", capture, "-T", "pdml", *options],
        check=True, capture_output=True).stdout
    clients = {}  # tcp.stream -> (ip, port) of the client
    out = {}  # (connection, dir) -> [(line, violation, summary, packet)]
    for packet in ET.fromstring(pdml).iter("packet"):
        values = {}
        for el in packet.iter("field"):
            values.setdefault(el.get("name"), el.get("show"))
        if "tcp.stream" not in values:
            continue
        stream = int(values["tcp.stream"])
        src = (values.get("ip.src") or values.get("ipv6.src"), values["tcp.srcport"])
        dst = (values.get("ip.dst") or values.get("ipv6.dst"), values["tcp.dstport"])
        if stream not in clients:
            synack = values.get("tcp.flags.syn") in ("1", "True") and values.get(
                "tcp.flags.ack") in ("1", "True")
            clients[stream] = dst if synack else src
        direction = "c2s" if src == clients[stream] else "s2c"
        if "_ws.lua.error" in values:
            raise SystemExit(f"{capture}: Lua error in packet {values['frame.number']}")
        for proto in packet.iter("proto"):
            if proto.get("name") == "muxado":
                out.setdefault((stream, direction), []).append(
                    (*frame_line(proto), values["frame.number"]))
    return out


def decoder_frames(decoder, capture):
    text = subprocess.run([decoder, "decode", "--pcap", capture], check=True,
                          capture_output=True, text=True).stdout
    out = {}
    for line in text.splitlines():
        m = re.match(r"^\s*[\d.]+ms #(\d+) (c2s|s2c) (.*)$", line)
        if not m:
            raise SystemExit(f"unexpected decoder line: {line!r}")
        out.setdefault((int(m.group(1)), m.group(2)), []).append(m.group(3))
    return out


# Display filters and which frame log lines each must select.
FILTERS = [
    ('muxado.type == "RST"', lambda line: line.startswith("RST ")),
    ('muxado.type == "GOAWAY"', lambda line: line.startswith("GOAWAY ")),
    ("muxado.type == 1", lambda line: line.startswith("DATA ")),
    ('muxado.type_name == "WNDINC"', lambda line: line.startswith("WNDINC ")),
    ("muxado.stream_id == 3", lambda line: " stream_id=0x3 " in line),
    ("muxado.flags.syn == 1", lambda line: line.startswith("DATA ") and " SYN" in line),
    ("muxado.flags.fin == 1", lambda line: line.startswith("DATA ") and line.endswith(" FIN")),
    ('muxado.error_code == "PROTOCOL_ERROR"', lambda line: "error_code=PROTOCOL_ERROR " in line),
    ("muxado.length > 1000", lambda line: int(re.search(r" length=(\d+)", line)[1]) > 1000),
]


def check_filters(capture, options, ours):
    """Each filter selects exactly the packets holding a frame whose line it names."""
    problems = []
    for expression, selects in FILTERS:
        want = sorted({int(number) for frames in ours.values()
                       for line, _, _, number in frames if selects(line)}, key=int)
        out = subprocess.run(
            ["tshark", "-X", f"lua_script:{LUA}", "-r", capture, "-Y", expression,
             "-T", "fields", "-e", "frame.number", *options],
            check=True, capture_output=True, text=True).stdout
        got = sorted(int(n) for n in out.split())
        if got != want:
            problems.append(f"filter {expression}: packets {got}, expected {want}")
    return problems


def main():
    args = sys.argv[1:]
    filters = "--filters" in args
    args = [a for a in args if a != "--filters"]
    decoder, capture, options = args[0], args[1], args[2:]
    theirs = decoder_frames(decoder, capture)
    ours = tshark_frames(capture, options)
    problems = check_filters(capture, options, ours) if filters else []
    compared = 0
    for key in sorted(set(theirs) | set(ours)):
        want, got = theirs.get(key, []), ours.get(key, [])
        where = f"#{key[0]} {key[1]}"
        for i, expected in enumerate(want):
            if i >= len(got):
                problems.append(f"{where} frame {i}: tshark has no frame, decode says {expected}")
                break
            line, violation, summary, number = got[i]
            compared += 1
            if expected.startswith("VIOLATION "):
                if "VIOLATION " + (violation or "(none)") != expected:
                    problems.append(f"{where} frame {i} (packet {number}): decode says {expected}, "
                                    f"tshark's first expert error is {violation}")
                elif not summary.endswith(" VIOLATION " + expected.split()[1]):
                    problems.append(f"{where} packet {number}: summary {summary!r} lacks the id")
                break  # the decoder stops this direction here
            if line != expected or summary != expected or violation:
                problems.append(f"{where} frame {i} (packet {number}):\n"
                                f"  decode:           {expected}\n"
                                f"  tshark fields:    {line}\n"
                                f"  tshark summary:   {summary}\n"
                                f"  tshark violation: {violation}")
        else:
            if len(got) > len(want):
                problems.append(f"{where}: tshark has {len(got) - len(want)} frame(s) more than "
                                f"decode, first {got[len(want)][0]}")
    name = capture.rsplit("/", 1)[-1]
    for p in problems:
        print(f"MISMATCH {name} {p}")
    total = sum(len(v) for v in theirs.values())
    print(f"{name}: {compared} of {total} frames compared in {len(theirs)} directions, "
          f"{len(problems)} mismatches")
    sys.exit(1 if problems or compared == 0 else 0)


if __name__ == "__main__":
    main()
