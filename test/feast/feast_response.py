"""What a Feast online answer looks like, for feast_client_check.py: JSON-safe values, a summary of
an SDK response, and the checks of the raw HTTP body (shape, names, statuses)."""

import math
from datetime import datetime


def jsonable(v):
    """to_dict() values -> JSON (keep NaN visible as a string)."""
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if hasattr(v, "item"):  # numpy scalar
        return jsonable(v.item())
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def describe_response(resp):
    """What the SDK holds after parsing the server answer."""
    from feast.protos.feast.serving.ServingService_pb2 import FieldStatus

    proto = resp.proto
    names = list(proto.metadata.feature_names.val)
    out = {
        "to_dict": jsonable(resp.to_dict()),
        "feature_names": names,
        "statuses": {n: [FieldStatus.Name(s) for s in fv.statuses] for n, fv in zip(names, proto.results)},
        # the remote store fills only values/statuses; timestamps are dropped by the SDK
        "event_timestamps_seen_by_sdk": {n: len(fv.event_timestamps) for n, fv in zip(names, proto.results)},
        "python_types": {n: sorted({type(x).__name__ for x in vals})
                         for n, vals in resp.to_dict().items()},
        "feature_view_metadata": [
            {"name": m.name, "version": m.version} for m in proto.metadata.feature_view_metadata
        ],
    }
    return out


def validate_raw(body, n_rows, expected_names):
    """Structural checks of a raw /get-online-features answer + Feast's pydantic model."""
    problems = []
    try:
        from feast.feature_server import OnlineFeaturesResponse

        OnlineFeaturesResponse.model_validate(body)
    except Exception as e:  # pragma: no cover - reported, not raised
        problems.append(f"pydantic OnlineFeaturesResponse: {e}")
    if not isinstance(body, dict):
        return problems + ["body is not an object"]
    names = (body.get("metadata") or {}).get("feature_names")
    results = body.get("results")
    if not isinstance(names, list):
        problems.append("metadata.feature_names is not a list")
        names = []
    if not isinstance(results, list):
        problems.append("results is not a list")
        results = []
    if len(names) != len(results):
        problems.append(f"{len(names)} feature_names but {len(results)} results")
    if expected_names is not None and names != expected_names:
        problems.append(f"feature_names {names} != expected {expected_names}")
    allowed = {"PRESENT", "NOT_FOUND", "NULL_VALUE", "OUTSIDE_MAX_AGE"}
    for i, r in enumerate(results):
        for key in ("values", "statuses", "event_timestamps"):
            seq = r.get(key)
            if not isinstance(seq, list) or len(seq) != n_rows:
                problems.append(f"results[{i}].{key} is not a list of {n_rows}")
        for s in r.get("statuses") or []:
            if s not in allowed:
                problems.append(f"results[{i}] has status {s!r}")
        for j, (v, s) in enumerate(zip(r.get("values") or [], r.get("statuses") or [])):
            if s in ("NOT_FOUND", "NULL_VALUE") and v is not None:
                problems.append(f"results[{i}].values[{j}] is {v!r} with status {s}")
        for ts in r.get("event_timestamps") or []:
            if not isinstance(ts, str) or not ts.endswith("Z"):
                problems.append(f"results[{i}] has event_timestamp {ts!r} (want RFC 3339 UTC with Z)")
                break
            try:
                datetime.fromisoformat(ts.replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"results[{i}] has unparsable event_timestamp {ts!r}")
                break
    return problems
