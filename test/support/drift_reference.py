"""Independent drift figures (numpy, scipy, pandas) for the drift tests.

stdin: {"eps": 1e-4, "cases": [case, ...]}; stdout: one result per case
{"psi", "ks", "referenceNullRate", "currentNullRate", "referenceCount", "currentCount", "windowStart", "windowEnd"}.
A case is either samples ({"ref": [...], "cur": [...], "categorical": bool}, null for a missing
value) or files ({"reference": parquet, "column", "offline": [parquet...], "keys": [...],
"feature", "windowSeconds", "categorical"}): the current rows are the newest created_ts per
(keys, event_ts), ties to the greatest file name, inside (newest event_ts - window, newest].
"""
import json
import sys
from collections import Counter

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp


def psi_numeric(ref, cur, eps):
    edges = np.quantile(ref, [i / 10 for i in range(1, 10)])  # linear: DuckDB's quantile_cont
    rb = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=10)
    cb = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=10)
    return psi_of(rb, cb, eps)


def psi_of(rb, cb, eps):
    pr = np.where(rb == 0, eps, rb / rb.sum())
    pc = np.where(cb == 0, eps, cb / cb.sum())
    return float(np.sum((pc - pr) * np.log(pc / pr)))


def psi_categorical(ref, cur, eps):
    rc, cc = Counter(ref), Counter(cur)
    cats = sorted(set(rc) | set(cc), key=str)
    return psi_of(np.array([rc[c] for c in cats], dtype=float), np.array([cc[c] for c in cats], dtype=float), eps)


def figures(ref_series, cur_series, categorical, eps):
    ref_series = pd.Series(ref_series, dtype=object if categorical else float)
    cur_series = pd.Series(cur_series, dtype=object if categorical else float)
    ref = ref_series.dropna().to_numpy()
    cur = cur_series.dropna().to_numpy()
    out = {
        "referenceCount": int(len(ref)),
        "currentCount": int(len(cur)),
        "referenceNullRate": float(ref_series.isna().mean()) if len(ref_series) else None,
        "currentNullRate": float(cur_series.isna().mean()) if len(cur_series) else None,
        "psi": None,
        "ks": None,
    }
    if len(ref) and len(cur):
        if categorical:
            out["psi"] = psi_categorical([str(v) for v in ref], [str(v) for v in cur], eps)
        else:
            out["psi"] = psi_numeric(ref.astype(float), cur.astype(float), eps)
            out["ks"] = float(ks_2samp(ref.astype(float), cur.astype(float)).statistic)
    return out


def from_files(case, eps):
    ref = pd.read_parquet(case["reference"])[case["column"]]
    parts = [pd.read_parquet(f).assign(_file=f) for f in case["offline"]]
    off = pd.concat(parts, ignore_index=True)
    off = off.sort_values(["created_ts", "_file"]).drop_duplicates(case["keys"] + ["event_ts"], keep="last")
    end = off["event_ts"].max()
    start = end - pd.Timedelta(seconds=case["windowSeconds"])
    cur = off[(off["event_ts"] > start) & (off["event_ts"] <= end)][case["feature"]]
    out = figures(ref.tolist(), cur.tolist(), case["categorical"], eps)
    out["windowStart"] = start.isoformat()
    out["windowEnd"] = end.isoformat()
    return out


def main():
    request = json.load(sys.stdin)
    eps = request["eps"]
    results = [from_files(c, eps) if "reference" in c else figures(c["ref"], c["cur"], c["categorical"], eps) for c in request["cases"]]
    json.dump(results, sys.stdout)


main()
