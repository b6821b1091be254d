"""Independent reference for feature statistics (test/support/reference-stats.ts): pandas/numpy.

argv: a JSON object {"files": [parquet paths], "keys": [...], "columns": [...], "start": ISO|null,
"end": ISO|null, "dedupe": bool}. Reads the files with pyarrow, keeps the current row per key and
event time (newest created_ts, then the later file name) when `dedupe`, limits to the event-time
range, and prints the profile of each column as JSON.
"""
import glob
import json
import sys

import numpy as np
import pandas as pd

QS = [("p1", 0.01), ("p5", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p95", 0.95), ("p99", 0.99)]


def main():
    spec = json.loads(sys.argv[1])
    frames = []
    for f in sorted(p for pattern in spec["files"] for p in glob.glob(pattern)):
        df = pd.read_parquet(f)
        df["_file"] = f
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    if spec.get("dedupe"):
        df = df.sort_values(["created_ts", "_file"]).drop_duplicates(subset=spec["keys"] + ["event_ts"], keep="last")
    if spec.get("start"):
        df = df[df["event_ts"] >= pd.Timestamp(spec["start"])]
    if spec.get("end"):
        df = df[df["event_ts"] <= pd.Timestamp(spec["end"])]
    out = {"rows": int(len(df)), "columns": {}}
    for c in spec["columns"]:
        s = df[c]
        entry = {"count": int(s.count()), "nulls": int(s.isna().sum())}
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            vals = s.dropna().map(lambda v: ("true" if v else "false") if isinstance(v, (bool, np.bool_)) else str(v))
            entry["values"] = {str(k): int(v) for k, v in vals.value_counts().items()}
        else:
            x = s.dropna().astype(float).to_numpy()
            entry.update(mean=float(x.mean()), std=float(pd.Series(x).std(ddof=1)), min=float(x.min()), max=float(x.max()))
            entry["quantiles"] = {k: float(np.quantile(x, q)) for k, q in QS}
            counts, edges = np.histogram(x, bins=20)
            entry["histogram"] = {"counts": [int(n) for n in counts], "edges": [float(e) for e in edges]}
            entry["sorted"] = [float(v) for v in np.sort(x)]
        out["columns"][c] = entry
    print(json.dumps(out))


main()
