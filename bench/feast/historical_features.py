"""Feast's get_historical_features on the training-set benchmark's data, for `npm run bench -- training-set`.

Builds a throwaway Feast repo (one FileSource per view over the materialised offline Parquet files,
entity `symbol`, FeatureViews with the views' TTL), runs get_historical_features on the first N
rows of the entity frame and writes the answer as Parquet with our column names (symbol, ts,
label, view__feature), in the entity frame's row order. Prints one JSON line of figures on stdout:
{"store", "feast", "entityRows", "outputRows", "ms", "applyMs", "peakRssMiB"}.

Feast does not keep the entity frame's order (it sorts by time), so a row number column
(`bench_row`) rides along as an extra entity column and the answer is sorted back by it.
Rows that Feast drops (its offline stores drop entity rows with the same keys and timestamp) are
left out of the answer: the bench compares on bench_row and reports them.
"""
import argparse
import json
import os
import resource
import shutil
import sys
import time
from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from feast_views import symbol_and_views


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--entities", required=True, help="entity frame Parquet (symbol, ts, label)")
    p.add_argument("--rows", type=int, required=True, help="use the first N entity rows")
    p.add_argument("--offline", required=True, help="offline store root: <view>/v1/*.parquet")
    p.add_argument("--repo", required=True, help="throwaway Feast repo directory (recreated)")
    p.add_argument("--out", required=True, help="answer Parquet")
    p.add_argument("--features", required=True, help="comma-separated view:feature")
    p.add_argument("--ttl-seconds", type=int, required=True)
    p.add_argument("--store", choices=["file", "duckdb"], default="file")
    p.add_argument("--version", type=int, default=1)
    a = p.parse_args()
    a.repo = os.path.abspath(a.repo)
    a.offline = os.path.abspath(a.offline)

    import feast
    from feast import FeatureStore, RepoConfig

    shutil.rmtree(a.repo, ignore_errors=True)
    os.makedirs(os.path.join(a.repo, "data"), exist_ok=True)
    offline_store = {"type": "file"} if a.store == "file" else {"type": "duckdb"}
    config = RepoConfig(
        project="bench",
        provider="local",
        registry=os.path.join(a.repo, "data", "registry.db"),
        online_store={"type": "sqlite", "path": os.path.join(a.repo, "data", "online.db")},
        offline_store=offline_store,
        repo_path=a.repo,
        entity_key_serialization_version=3,
    )
    fs = FeatureStore(config=config)

    refs = [f.strip() for f in a.features.split(",") if f.strip()]
    by_view: dict[str, list[str]] = {}
    for ref in refs:
        view, feature = ref.split(":")
        by_view.setdefault(view, []).append(feature)

    symbol, views = symbol_and_views(a.offline, a.version, by_view, timedelta(seconds=a.ttl_seconds), online=False)
    t0 = time.perf_counter()
    fs.apply([symbol, *views])
    apply_ms = (time.perf_counter() - t0) * 1000

    frame = pq.ParquetFile(a.entities)
    table = frame.read().slice(0, a.rows)
    entity_df = table.to_pandas()
    entity_df = entity_df.rename(columns={"ts": "event_timestamp"})
    entity_df["bench_row"] = range(len(entity_df))

    t0 = time.perf_counter()
    answer = fs.get_historical_features(entity_df=entity_df, features=refs, full_feature_names=True).to_df()
    ms = (time.perf_counter() - t0) * 1000

    answer = answer.sort_values("bench_row", kind="stable").reset_index(drop=True)
    answer = answer.rename(columns={"event_timestamp": "ts"})
    columns = ["bench_row", "symbol", "ts", "label"] + [f"{r.split(':')[0]}__{r.split(':')[1]}" for r in refs]
    out = pa.Table.from_pandas(answer[columns], preserve_index=False)
    # Same timestamp type as ours (microseconds, UTC).
    out = out.set_column(out.schema.get_field_index("ts"), "ts", out.column("ts").cast(pa.timestamp("us", tz="UTC")))
    pq.write_table(out, a.out)

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "store": a.store,
                "feast": feast.__version__,
                "entityRows": len(entity_df),
                "outputRows": len(answer),
                "ms": round(ms),
                "applyMs": round(apply_ms),
                "peakRssMiB": round(peak_kib / 1024),
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
