"""Feast side of `npm run bench -- online`: builds a Feast repo with a Redis online store holding
the same latest feature values as our online store, ready for `feast serve`.

  online_feast_repo.py --repo DIR --offline DATA_DIR/offline --views '{"view": ["f1", ...], ...}'
                       --service bench_50 --redis 127.0.0.1:PORT,db=1 --ttl-days 30

1. Writes DIR/feature_store.yaml (project `bench`, local file registry, online store
   `type: redis` with the given connection string, entity_key_serialization_version 3).
2. Entity `symbol` (STRING), one FeatureView per view (Float64 fields, the view's TTL, a FileSource
   over our offline Parquet files of that view, timestamp_field event_ts, created_ts) and a
   FeatureService of all features; FeatureStore.apply (= `feast apply`).
3. Reads our offline Parquet files (<offline>/<view>/v1/*.parquet), keeps the latest row per
   symbol (greatest event_ts, then created_ts: what our online store keeps) and writes it with
   FeatureStore.write_to_online_store(view, df).

Prints one JSON line: {"feast", "rows": {view: n}, "applyMs", "writeMs"}.
"""
import argparse
import json
import os
import shutil
import sys
import time
import warnings
from datetime import timedelta

warnings.filterwarnings("ignore")

from feast_views import offline_files, symbol_and_views  # noqa: E402 (after the warnings filter)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repo", required=True)
    p.add_argument("--offline", required=True)
    p.add_argument("--views", required=True, help='JSON {"view": ["feature", ...]}')
    p.add_argument("--service", required=True)
    p.add_argument("--redis", required=True, help="Feast connection string, e.g. 127.0.0.1:6379,db=1")
    p.add_argument("--ttl-days", type=int, default=30)
    p.add_argument("--version", type=int, default=1)
    a = p.parse_args()
    repo = os.path.abspath(a.repo)
    views_spec: dict = json.loads(a.views)

    import feast
    import pandas as pd
    import pyarrow.parquet as pq
    from feast import FeatureService, FeatureStore

    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(os.path.join(repo, "data"), exist_ok=True)
    with open(os.path.join(repo, "feature_store.yaml"), "w") as f:
        f.write(
            "project: bench\n"
            f"registry: {os.path.join(repo, 'data', 'registry.db')}\n"
            "provider: local\n"
            "online_store:\n"
            "  type: redis\n"
            f"  connection_string: \"{a.redis}\"\n"
            "offline_store:\n"
            "  type: file\n"
            "entity_key_serialization_version: 3\n"
        )
    fs = FeatureStore(repo_path=repo)

    symbol, fvs = symbol_and_views(a.offline, a.version, views_spec, timedelta(days=a.ttl_days), online=True)
    service = FeatureService(name=a.service, features=fvs)
    t0 = time.perf_counter()
    fs.apply([symbol, *fvs, service])
    apply_ms = (time.perf_counter() - t0) * 1000

    rows = {}
    t0 = time.perf_counter()
    for fv in fvs:
        _, files = offline_files(a.offline, fv.name, a.version)
        columns = ["symbol", "event_ts", "created_ts", *views_spec[fv.name]]
        df = pd.concat([pq.read_table(f, columns=columns).to_pandas() for f in files], ignore_index=True)
        latest = df.sort_values(["symbol", "event_ts", "created_ts"]).groupby("symbol", sort=False).tail(1).reset_index(drop=True)
        fs.write_to_online_store(fv.name, latest)
        rows[fv.name] = len(latest)
    write_ms = (time.perf_counter() - t0) * 1000

    print(json.dumps({"feast": feast.__version__, "rows": rows, "applyMs": round(apply_ms), "writeMs": round(write_ms)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
