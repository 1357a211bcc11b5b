#!/usr/bin/env python3
"""Validates every vectors/frames/*.json file against vectors/frame-vectors.schema.json and
checks that vector ids are unique across files."""

import json
import pathlib
import sys

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parent.parent
schema = json.loads((ROOT / "frame-vectors.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

seen, failed, count = {}, False, 0
for path in sorted((ROOT / "frames").glob("*.json")):
    doc = json.loads(path.read_text())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for error in errors:
        failed = True
        where = "/".join(str(p) for p in error.path)
        print(f"{path.name}: {where}: {error.message}")
    for vector in doc.get("vectors", []):
        count += 1
        if vector["id"] in seen:
            failed = True
            print(f"{path.name}: vector id {vector['id']} also in {seen[vector['id']]}")
        seen[vector["id"]] = path.name

print(f"{count} vectors checked against the schema: {'FAILED' if failed else 'ok'}")
sys.exit(1 if failed else 0)
