#!/usr/bin/env python
"""Drive Feast's own Python SDK (feast 0.67, `online_store: type: remote`) against a
Feast-compatible HTTP feature server and print one JSON object with what the SDK saw.

Run with the venv python:

  .cache/feast-venv/bin/python test/feast/feast_client_check.py \
      --url http://127.0.0.1:PORT --repo-dir /tmp/some-empty-dir \
      --features returns:ret_1d,volatility:vol_20d --symbols BTC-USD,NOPE \
      [--push-source returns_push [--push-views returns] [--push-symbol FEASTCHECK-USD]
       [--push-mode sdk|http|both]] [--feature-service NAME] [--check-errors]

What it does
  1. Writes a throwaway Feast repo into --repo-dir: feature_store.yaml with
     `online_store: {type: remote, path: URL}`, a local file registry, provider local,
     entity `symbol` (join key symbol, STRING), one FeatureView per view named in
     --features (Float64 fields, ttl 3 days, dummy FileSource; with --push-source the
     chosen views get a PushSource of that name wrapping the FileSource), optionally a
     FeatureService; then FeatureStore.apply(...) (= `feast apply`).
  2. store.get_online_features(features, [{"symbol": s}, ...]).to_dict(), with
     full_feature_names False and True.  The remote store POSTs /get-online-features.
  3. With --push-source: `sdk` mode calls store.push(NAME, df) -- NOTE the Feast SDK with a
     remote online store does NOT call /push: FeatureStore.push -> write_to_online_store ->
     RemoteOnlineStore.online_write_batch -> POST /write-to-online-store once per view
     ({"feature_view_name", "df", "allow_registry_cache": false}).  `http` mode POSTs the
     Feast feature-server /push body ({"push_source_name", "df", "to": "online"}) directly.
     Both then read the pushed symbol back through the SDK.
  4. The raw /get-online-features JSON is also fetched and validated with Feast's own
     pydantic model feast.feature_server.OnlineFeaturesResponse and structural checks.
  5. --check-errors: asks the SDK for an unknown feature view and reports which exception
     the SDK raised (Feast maps a 4xx body that is a JSON *string* holding
     {"module","class","message"} back to the Feast exception class).

Output: one JSON object on stdout; "ok" is false if any step failed (exit code 1).
Logs go to stderr.
"""
import argparse
import json
import logging
import math
import os
import sys
import traceback
import warnings
from collections import OrderedDict
from datetime import datetime, timedelta, timezone

from feast_response import describe_response, jsonable, validate_raw  # noqa: E402  (beside this script)

warnings.filterwarnings("ignore")
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="base URL of the feature server, e.g. http://127.0.0.1:3000")
    p.add_argument("--repo-dir", required=True, help="directory for the throwaway Feast repo (created if missing)")
    p.add_argument("--features", required=True, help="comma list of view:feature refs")
    p.add_argument("--symbols", required=True, help="comma list of symbol entity values")
    p.add_argument("--project", default="feast_check", help="Feast project name in the throwaway repo")
    p.add_argument("--feature-service", default=None,
                   help="also define a FeatureService of all --features with this name and read through it")
    p.add_argument("--push-source", default=None, help="PushSource name; enables the push check")
    p.add_argument("--push-views", default=None,
                   help="comma list of views fed by the push source (default: all views in --features)")
    p.add_argument("--push-symbol", default="FEASTCHECK-USD", help="symbol written by the push check")
    p.add_argument("--push-mode", choices=["sdk", "http", "both"], default="both")
    p.add_argument("--timestamp-field", default="event_timestamp",
                   help="timestamp_field of the dummy FileSource (also the push df column name)")
    p.add_argument("--check-errors", action="store_true", help="also probe SDK error mapping")
    p.add_argument("--timeout", type=float, default=10.0, help="HTTP timeout for the raw requests")
    p.add_argument("--auth-token", default=None,
                   help="API key: the SDK sends it as Feast does (auth type kubernetes, user_token), the raw requests too")
    return p.parse_args(argv)


def group_refs(refs):
    views = OrderedDict()
    for ref in refs:
        if ":" not in ref:
            raise SystemExit(f"bad feature ref {ref!r}: expected view:feature")
        view, feat = ref.split(":", 1)
        views.setdefault(view, [])
        if feat not in views[view]:
            views[view].append(feat)
    return views


def write_repo(repo_dir, url, project, auth_token=None):
    os.makedirs(os.path.join(repo_dir, "data"), exist_ok=True)
    yaml = (
        f"project: {project}\n"
        f"registry: {os.path.join(repo_dir, 'data', 'registry.db')}\n"
        "provider: local\n"
        "online_store:\n"
        "  type: remote\n"
        f"  path: {url.rstrip('/')}\n"
        # one try only: the requests session retries 429/5xx with backoff otherwise,
        # which turns a 5xx into requests.exceptions.RetryError after ~3.5 s
        "  connection_retries: 0\n"
        "offline_store:\n"
        "  type: file\n"
        "entity_key_serialization_version: 3\n"
    )
    if auth_token:
        # Feast's kubernetes auth with a user_token sends "Authorization: Bearer <user_token>" as is.
        yaml += f"auth:\n  type: kubernetes\n  user_token: {auth_token}\n"
    with open(os.path.join(repo_dir, "feature_store.yaml"), "w") as f:
        f.write(yaml)


def build_objects(args, views, repo_dir):
    import pandas as pd
    from feast import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, ValueType
    from feast.types import Float64

    symbol = Entity(name="symbol", join_keys=["symbol"], value_type=ValueType.STRING)
    push_views = set(views)
    if args.push_views:
        push_views = {v.strip() for v in args.push_views.split(",") if v.strip()}
    objs = [symbol]
    fvs = {}
    push_source = None
    for view, feats in views.items():
        path = os.path.join(repo_dir, "data", f"{view}.parquet")
        # dummy file with the right columns so nothing has to be inferred from a missing file
        cols = {"symbol": ["DUMMY"], args.timestamp_field: [pd.Timestamp("2000-01-01", tz="UTC")]}
        for f in feats:
            cols[f] = [0.0]
        pd.DataFrame(cols).to_parquet(path)
        src = FileSource(name=f"{view}_source", path=path, timestamp_field=args.timestamp_field)
        source = src
        if args.push_source and view in push_views:
            if push_source is None:
                push_source = PushSource(name=args.push_source, batch_source=src)
                objs.append(push_source)
            source = push_source
        objs.append(src)
        fv = FeatureView(
            name=view,
            entities=[symbol],
            ttl=timedelta(days=3),
            schema=[Field(name=f, dtype=Float64) for f in feats],
            source=source,
            online=True,
        )
        fvs[view] = fv
        objs.append(fv)
    svc = None
    if args.feature_service:
        svc = FeatureService(name=args.feature_service, features=[fvs[v][feats] for v, feats in views.items()])
        objs.append(svc)
    return objs, fvs, svc, push_views


def expected_names(refs, full):
    names = ["symbol"]
    for r in refs:
        v, f = r.split(":", 1)
        names.append(f"{v}__{f}" if full else f)
    return names


def step(out, key, fn):
    try:
        out[key] = fn()
    except Exception as e:
        out[key] = {"error": f"{type(e).__module__}.{type(e).__name__}", "message": str(e)[:2000]}
        out["ok"] = False
        print(traceback.format_exc(), file=sys.stderr)


def main(argv=None):
    args = parse_args(argv)
    refs = [r.strip() for r in args.features.split(",") if r.strip()]
    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
    views = group_refs(refs)
    repo_dir = os.path.abspath(args.repo_dir)
    url = args.url.rstrip("/")

    import requests
    from feast import FeatureStore
    from feast.data_source import PushMode

    write_repo(repo_dir, url, args.project, args.auth_token)
    auth_headers = {"Authorization": f"Bearer {args.auth_token}"} if args.auth_token else {}
    objs, fvs, svc, push_views = build_objects(args, views, repo_dir)
    store = FeatureStore(repo_path=repo_dir)
    store.apply(objs)

    out = {"ok": True, "feast_version": __import__("feast").__version__, "url": url,
           "features": refs, "symbols": symbols}
    rows = [{"symbol": s} for s in symbols]

    def sdk_read(full, features=None, entity_rows=None):
        resp = store.get_online_features(
            features=features if features is not None else refs,
            entity_rows=entity_rows if entity_rows is not None else rows,
            full_feature_names=full,
        )
        return describe_response(resp)

    step(out, "sdk", lambda: sdk_read(False))
    step(out, "sdk_full", lambda: sdk_read(True))
    if svc is not None:
        step(out, "sdk_feature_service", lambda: sdk_read(False, features=svc))
        step(out, "sdk_feature_service_full", lambda: sdk_read(True, features=svc))

    def raw(full):
        body = {"features": refs, "entities": {"symbol": symbols}, "full_feature_names": full}
        r = requests.post(f"{url}/get-online-features", json=body, headers=auth_headers, timeout=args.timeout)
        res = {"status": r.status_code, "content_type": r.headers.get("content-type")}
        try:
            res["body"] = r.json()
        except ValueError:
            res["body_text"] = r.text[:2000]
            res["problems"] = ["body is not JSON"]
            return res
        res["problems"] = validate_raw(res["body"], len(symbols), expected_names(refs, full)) if r.status_code == 200 else [f"HTTP {r.status_code}"]
        if res["problems"]:
            out["ok"] = False
        return res

    step(out, "raw", lambda: raw(False))
    step(out, "raw_full", lambda: raw(True))

    warns = []
    for key in ("sdk", "sdk_full", "sdk_feature_service", "sdk_feature_service_full"):
        sd = out.get(key) or {}
        for name, types in (sd.get("python_types") or {}).items():
            if name != "symbol" and "int" in types:
                # the remote store infers the type from the JSON token: 1 -> int64, 1.0 -> double
                warns.append(f"{key}.{name}: Float64 feature came back as Python int "
                             "(server wrote a whole number without '.0'; feast serve writes 1.0)")
    for key in ("sdk", "sdk_full"):
        sd = out.get(key) or {}
        if "to_dict" in sd:
            names = list(sd["to_dict"].keys())
            want = expected_names(refs, key == "sdk_full")
            if names != want:
                sd["problems"] = [f"to_dict keys {names} != expected {want}"]
                out["ok"] = False

    if args.push_source:
        push_refs = [f"{v}:{f}" for v, feats in views.items() if v in push_views for f in feats]
        now = datetime.now(timezone.utc).replace(microsecond=0)

        def push_df(base):
            import pandas as pd

            cols = {"symbol": [args.push_symbol], args.timestamp_field: [pd.Timestamp(now)]}
            for i, ref in enumerate(push_refs):
                cols[ref.split(":", 1)[1]] = [base + i / 8]
            return pd.DataFrame(cols)

        def check_readback(base, full=True):
            got = sdk_read(full, features=push_refs, entity_rows=[{"symbol": args.push_symbol}])
            want = {("%s__%s" % tuple(r.split(":", 1))) if full else r.split(":", 1)[1]: base + i / 8
                    for i, r in enumerate(push_refs)}
            bad = {k: got["to_dict"].get(k) for k, v in want.items() if got["to_dict"].get(k) != [v]}
            got["expected"] = {k: [v] for k, v in want.items()}
            if bad:
                got["problems"] = [f"read back {bad} after push"]
                out["ok"] = False
            return got

        if args.push_mode in ("sdk", "both"):
            def sdk_push():
                df = push_df(0.5)
                store.push(args.push_source, df, to=PushMode.ONLINE)
                return {"pushed": jsonable(df.astype({args.timestamp_field: str}).to_dict(orient="list")),
                        "endpoint_used_by_sdk": "/write-to-online-store",
                        "readback": check_readback(0.5)}

            step(out, "sdk_push", sdk_push)

        if args.push_mode in ("http", "both"):
            def http_push():
                df = {"symbol": [args.push_symbol],
                      args.timestamp_field: [now.strftime("%Y-%m-%dT%H:%M:%SZ")]}
                for i, ref in enumerate(push_refs):
                    df[ref.split(":", 1)[1]] = [1.5 + i / 8]
                body = {"push_source_name": args.push_source, "df": df, "to": "online"}
                r = requests.post(f"{url}/push", json=body, headers=auth_headers, timeout=args.timeout)
                res = {"request": body, "status": r.status_code, "body_text": r.text[:2000]}
                if r.status_code != 200:
                    res["problems"] = [f"/push answered {r.status_code} (feast serve: 200, empty body)"]
                    out["ok"] = False
                    return res
                res["readback"] = check_readback(1.5)
                unknown = dict(body, push_source_name="feast_check_no_such_push_source")
                r2 = requests.post(f"{url}/push", json=unknown, headers=auth_headers, timeout=args.timeout)
                res["unknown_push_source"] = {"status": r2.status_code, "body_text": r2.text[:2000]}
                return res

            step(out, "http_push", http_push)

    if args.check_errors:
        def errors():
            res = {}
            for name, feats in (("unknown_view", ["feast_check_no_such_view:x"]),):
                try:
                    store.get_online_features(features=feats, entity_rows=rows[:1])
                    res[name] = {"raised": None}
                except Exception as e:
                    res[name] = {"raised": f"{type(e).__module__}.{type(e).__name__}", "message": str(e)[:1000]}
            want = "feast.errors.FeatureViewNotFoundException"
            if res["unknown_view"]["raised"] != want:
                res["problems"] = [f"unknown view raised {res['unknown_view']['raised']}, feast serve gives {want}"]
                out["ok"] = False
            return res

        step(out, "errors", errors)

    out["warnings"] = warns
    try:
        import asyncio

        asyncio.run(store.close())
    except Exception:
        pass
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
