"""The stock-prediction workflow, end to end: BTC-USD bars → up/down features at each bar's time →
a classifier tracked in MLflow → a model that looks up its own features, scored online and in batch.

    npm start                                            # the API on :8080, sample data bootstrapped
    python3 -m mlflow server --port 5000 &               # or any MLFLOW_TRACKING_URI
    pip install -e 'clients/python[mlflow]'
    FEATURE_STORE_URL=http://localhost:8080 MLFLOW_TRACKING_URI=http://localhost:5000 \
        python3 examples/mlflow_workflow.py

The tests run this script (clients/python/tests/test_example.py); its last line is a JSON summary.
scikit-learn is used when installed, else a small NumPy logistic regression with the same interface.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

import market_feature_store.mlflow as fs_mlflow
from market_feature_store import FeatureStore

BARS = Path(__file__).resolve().parents[1] / "data" / "samples" / "btc-usd-daily-2021.csv"
FEATURES = [
    "updown@1:prev_1d",  # pinned by hand; the others are pinned to their latest version by the training set
    "updown:prev_2d",
    "updown:prev_3d",
    "updown:delta_pct",
    "returns:ret_5d",
    "volatility:vol_20d",
    "trend:rsi_14",
]


def labelled_bars() -> pd.DataFrame:
    """One row per BTC-USD bar: its time (a daily bar is known at the end of its day, so Date + 1
    day, as the store ingests it) and the label: does the NEXT bar close above its open?"""
    bars = pd.read_csv(BARS, parse_dates=["Date"]).sort_values("Date")
    entity_df = pd.DataFrame(
        {
            "symbol": "BTC-USD",
            "ts": bars["Date"] + pd.Timedelta(days=1),  # tz-naive: UTC
            "next_up": (bars["Close"] > bars["Open"]).shift(-1),
        }
    )
    return entity_df.iloc[:-1].astype({"next_up": int}).reset_index(drop=True)  # the last bar has no next one


class TinyLogistic:
    """Logistic regression by gradient descent, with scikit-learn's predict / predict_proba / classes_."""

    def fit(self, X: pd.DataFrame, y: pd.Series, steps: int = 3000, rate: float = 0.1) -> "TinyLogistic":
        self.feature_names_in_ = np.array(X.columns, dtype=object)
        x = X.to_numpy(dtype=float)
        self.mean_, self.scale_ = x.mean(axis=0), x.std(axis=0) + 1e-12
        z = np.c_[np.ones(len(x)), (x - self.mean_) / self.scale_]
        self.coef_ = np.zeros(z.shape[1])
        for _ in range(steps):
            self.coef_ -= rate * z.T @ (1 / (1 + np.exp(-z @ self.coef_)) - y.to_numpy()) / len(z)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        z = np.c_[np.ones(len(X)), (X.to_numpy(dtype=float) - self.mean_) / self.scale_]
        p = 1 / (1 + np.exp(-z @ self.coef_))
        return np.c_[1 - p, p]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def classifier():
    """scikit-learn's logistic regression when installed (EXAMPLE_CLASSIFIER=numpy forces the NumPy one)."""
    if os.environ.get("EXAMPLE_CLASSIFIER") != "numpy":
        try:
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler
        except ImportError:
            pass
        else:
            return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return TinyLogistic()


def main() -> dict:
    store = FeatureStore()  # FEATURE_STORE_URL, FEATURE_STORE_API_KEY
    mlflow.set_experiment(os.environ.get("EXAMPLE_EXPERIMENT", "stock-prediction"))
    bars = labelled_bars()
    split = int(len(bars) * 0.7)
    train_rows, test_rows = bars.iloc[:split], bars.iloc[split:]

    with mlflow.start_run() as run:
        # Inside a run the training set is linked to it: MLflow shows it as the run's dataset input.
        job = store.get_historical_features(train_rows, features=FEATURES, point_in_time="event")
        train = job.to_df()
        columns = train.columns[len(train_rows.columns):]  # the feature columns follow the entity columns
        complete = train.dropna(subset=list(columns))       # the first bars have no 20-day volatility yet
        X, y = complete[list(columns)].astype(float), complete["next_up"]
        model = classifier().fit(X, y)
        mlflow.log_params({"model": type(model).__name__, "rows": len(X), "training_set_id": job.id})
        mlflow.log_metric("train_accuracy", float((model.predict(X) == y).mean()))
        info = fs_mlflow.log_model(model, "model", training_set=job, input_example=pd.DataFrame({"symbol": ["SYN0001"]}))
        print(f"run {run.info.run_id}: trained on {len(X)} rows of training set {job.id}")
        print(f"model {info.model_uri} pins {', '.join(fs_mlflow.feature_spec(info.model_uri).features)}")

    # Online: keys in, the model looks its features up. BTC-USD's sample bars end in 2021, so its
    # values are OUTSIDE_TTL; SYN0001 is a synthetic symbol with bars up to today.
    served = mlflow.pyfunc.load_model(info.model_uri)
    online = served.predict(pd.DataFrame({"symbol": ["SYN0001", "BTC-USD", "NO-SUCH"]}))
    print(online.to_string(index=False))

    # Batch / backtest: the same model over the held-out bars, each with the features as of its time.
    scored = fs_mlflow.score_batch(info.model_uri, test_rows)
    ok = scored[scored["status"] == "OK"]
    accuracy = float((ok["prediction"].astype(int) == ok["next_up"]).mean()) if len(ok) else None
    print(f"backtest on {len(scored)} held-out bars: {len(ok)} scored, accuracy {accuracy}")
    return {
        "run_id": run.info.run_id,
        "model_uri": info.model_uri,
        "training_set_id": job.id,
        "feature_columns": list(columns),
        "online": json.loads(online.to_json(orient="records")),
        "backtest_rows": len(scored),
        "backtest_scored": len(ok),
        "backtest_accuracy": accuracy,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
