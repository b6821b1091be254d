"""Checks an OpenAPI document and JSON values against its schemas, independently of our code.

stdin: {"document": {...}, "checks": [{"pointer": "#/paths/...", "instance": ...}]}
stdout: {"spec": "ok" | "<error>", "results": [{"valid": bool, "errors": [str]}]}

The document is validated by openapi-spec-validator (OpenAPI 3.1); each instance by jsonschema's
Draft 2020-12 validator against the schema at `pointer`, resolved inside the whole document so
that its `$ref`s to components work.
"""
import json
import sys

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate


def main() -> None:
    request = json.load(sys.stdin)
    document = request["document"]
    try:
        validate(document)
        spec = "ok"
    except Exception as error:  # the validator's exceptions differ by version; report any
        spec = f"{type(error).__name__}: {error}"
    results = []
    for check in request.get("checks", []):
        # The root is the document itself, with a $ref to the schema under test.
        root = dict(document)
        root["$ref"] = check["pointer"]
        validator = Draft202012Validator(root)
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(check["instance"])]
        results.append({"valid": not errors, "errors": errors})
    json.dump({"spec": spec, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
