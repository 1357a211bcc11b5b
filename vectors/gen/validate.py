#!/usr/bin/env python3
"""Validates every vectors/frames/*.json file against vectors/frame-vectors.schema.json,
every vectors/sessions/*.json file against vectors/session-vectors.schema.json and every
vectors/transcripts/*.json file against vectors/transcript.schema.json, and checks that
vector ids are unique across all files (frame and session vectors alike).

Beyond the schema, session vectors are checked for what JSON Schema cannot say: a frame's
`length`, when given, equals its body length, and a `reference_bug` mark names a step of the
vector."""

import json
import pathlib
import sys

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parent.parent
SETS = [
    ("frames", "frame-vectors.schema.json", "frame"),
    ("sessions", "session-vectors.schema.json", "session"),
    ("transcripts", "transcript.schema.json", "transcript"),
]


def fill_len(fill):
    return fill["count"] if fill else 0


def body_len(frame):
    """The body length of a session-vector frame, or None when it cannot be known."""
    kind = frame["type"]
    if kind in ("RST", "WNDINC"):
        return 4
    if kind == "GOAWAY":
        if frame.get("debug_any"):
            return None
        return 8 + len(bytes.fromhex(frame.get("debug", ""))) + fill_len(frame.get("debug_fill"))
    return len(bytes.fromhex(frame.get("payload", ""))) + fill_len(frame.get("payload_fill"))


def session_problems(vector):
    """Checks of a session vector that the schema cannot express."""
    problems = []
    steps = vector.get("steps", [])
    bug = vector.get("reference_bug")
    if bug and not 1 <= bug["step"] <= len(steps):
        problems.append(f"reference_bug names step {bug['step']} of {len(steps)}")
    for i, step in enumerate(steps, 1):
        for key in ("recv", "expect_sent"):
            for frame in step.get(key, []) if isinstance(step.get(key), list) else []:
                want = body_len(frame)
                if "length" in frame and want is not None and frame["length"] != want:
                    problems.append(f"step {i}: {frame['type']} length {frame['length']} "
                                    f"but a {want}-byte body")
    return problems


def transcript_problems(doc):
    """Checks of a transcript that the schema cannot express: a body kept whole is as long as
    the frame's length says (DATA and unknown types: the payload; GOAWAY: 8 bytes and the
    debug data), and entries are in time order."""
    problems = []
    last = 0
    for i, entry in enumerate(doc["frames"]):
        if entry["t_us"] < last:
            problems.append(f"entry {i}: t_us {entry['t_us']} before {last}")
        last = entry["t_us"]
        frame = entry.get("frame", {})
        kind = frame.get("type")
        if kind in ("DATA", "UNKNOWN"):
            body = frame.get("payload_len", len(frame.get("payload", "")) // 2)
        elif kind == "GOAWAY":
            body = 8 + frame.get("debug_len", len(frame.get("debug", "")) // 2)
        elif kind in ("RST", "WNDINC"):
            body = 4
        else:
            continue
        if frame["length"] != body:
            problems.append(f"entry {i}: {kind} length {frame['length']} but a {body}-byte body")
    return problems


seen, failed, counts = {}, False, {}
for directory, schema_name, kind in SETS:
    schema = json.loads((ROOT / schema_name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    counts[kind] = 0
    for path in sorted((ROOT / directory).glob("*.json")):
        doc = json.loads(path.read_text())
        where_file = f"{directory}/{path.name}"
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for error in errors:
            failed = True
            where = "/".join(str(p) for p in error.path)
            print(f"{where_file}: {where}: {error.message}")
        if kind == "transcript":
            counts[kind] += 1
            for problem in transcript_problems(doc) if not errors else []:
                failed = True
                print(f"{where_file}: {problem}")
            continue
        for vector in doc.get("vectors", []):
            counts[kind] += 1
            if vector["id"] in seen:
                failed = True
                print(f"{where_file}: vector id {vector['id']} also in {seen[vector['id']]}")
            seen[vector["id"]] = where_file
            if kind == "session" and not errors:
                for problem in session_problems(vector):
                    failed = True
                    print(f"{where_file}: {vector['id']}: {problem}")

names = {"frame": "frame vectors", "session": "session vectors", "transcript": "transcripts"}
summary = ", ".join(f"{n} {names[kind]}" for kind, n in counts.items())
print(f"{summary} checked against their schemas: {'FAILED' if failed else 'ok'}")
sys.exit(1 if failed else 0)
