"""The Python client's benchmark, run by python-client.bench.ts against a real API: a training
set of N entity rows to a pandas DataFrame through the client vs the plain HTTP call plus
pyarrow, alternating in the same process, both from the same entity DataFrame. Prints JSON."""
from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import requests

from market_feature_store import FeatureStore

ARROW = "application/vnd.apache.arrow.stream"


def entity_frame(rows: int, symbols: int, start: str, end: str) -> pd.DataFrame:
    rng = np.random.default_rng(42)
    lo, hi = pd.Timestamp(start).value // 10**9, pd.Timestamp(end).value // 10**9
    return pd.DataFrame(
        {
            "symbol": np.char.add("SYN", np.char.zfill(rng.integers(1, symbols + 1, rows).astype(str), 4)),
            "ts": pd.to_datetime(rng.integers(lo, hi, rows), unit="s"),  # naive, as most notebooks have them
            "label": rng.integers(0, 2, rows),
        }
    )


def plain_call(url: str, entity_df: pd.DataFrame, features: list) -> pd.DataFrame:
    """What a user writes without the client: Arrow IPC up, Arrow IPC down, pyarrow to pandas."""
    table = pa.Table.from_pandas(entity_df, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    answer = requests.post(
        f"{url}/v1/training-sets",
        params={"features": ",".join(features)},
        data=sink.getvalue(),
        headers={"Content-Type": ARROW, "Accept": ARROW},
        timeout=3600,
    )
    answer.raise_for_status()
    return pa.ipc.open_stream(answer.content).read_all().to_pandas()


def client_call(store: FeatureStore, entity_df: pd.DataFrame, features: list) -> pd.DataFrame:
    return store.get_historical_features(entity_df, features=features, run_id=False).to_df()


def timed(work):
    started = time.perf_counter()
    value = work()
    return (time.perf_counter() - started) * 1000, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--symbols", type=int, required=True)
    parser.add_argument("--start", required=True)
    parser.add_argument("--end", required=True)
    parser.add_argument("--features", required=True)
    args = parser.parse_args()
    features = args.features.split(",")
    entity_df = entity_frame(args.rows, args.symbols, args.start, args.end)
    store = FeatureStore(args.url)

    # Warm-up of both paths (connections, imports, the server's caches) on a small frame.
    small = entity_df.head(1000)
    client_call(store, small, features)
    plain_call(args.url, small, features)

    client_ms, plain_ms = [], []
    first = {}  # each side's first answer, compared below
    for r in range(args.repeat):
        # Alternate which goes first, so that neither always runs on a warmer machine.
        order = ("client", "plain") if r % 2 == 0 else ("plain", "client")
        for side in order:
            if side == "client":
                ms, df = timed(lambda: client_call(store, entity_df, features))
                client_ms.append(ms)
            else:
                ms, df = timed(lambda: plain_call(args.url, entity_df, features))
                plain_ms.append(ms)
            first.setdefault(side, df)
            del df
    a, b = first["client"], first["plain"]
    feature_columns = [c for c in b.columns if "__" in c]
    same = len(a) == len(b) and all(np.allclose(a[c].astype("float64"), b[c].astype("float64"), equal_nan=True) for c in feature_columns)
    print(
        json.dumps(
            {
                "rows": args.rows,
                "features": len(features),
                "repeat": args.repeat,
                "clientRunsMs": [round(x) for x in client_ms],
                "plainRunsMs": [round(x) for x in plain_ms],
                "clientMedianMs": round(statistics.median(client_ms)),
                "plainMedianMs": round(statistics.median(plain_ms)),
                "ratioOfMedians": round(statistics.median(client_ms) / statistics.median(plain_ms), 3),
                # Runs r of both sides are adjacent in time, so their ratio shares the machine's load.
                "medianPairRatio": round(statistics.median(c / p for c, p in zip(client_ms, plain_ms)), 3),
                "ratioOfBest": round(min(client_ms) / min(plain_ms), 3),
                "sameValues": bool(same),
                "clientDtypes": {c: str(t) for c, t in a.dtypes.items()},
                "plainDtypes": {c: str(t) for c, t in b.dtypes.items()},
                "versions": {"pandas": pd.__version__, "pyarrow": pa.__version__},
            }
        )
    )


if __name__ == "__main__":
    main()
