"""Independent references for the MLflow model tests: features read with plain `requests` (JSON
online answers, Arrow training sets decoded by pyarrow), the wrapped model called on them by
hand, and a real `mlflow models serve` process."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import pandas as pd
import pyarrow as pa
import requests

#: This checkout's client, put first on the path of the processes the tests start.
CLIENT_SRC = str(Path(__file__).resolve().parents[1] / "src")
REPO = Path(__file__).resolve().parents[3]


def column_of(reference: str) -> str:
    """The API's column name of a reference: ``view@2:feat`` → ``view__feat``."""
    view, feature = reference.split(":", 1)
    return f"{view.split('@', 1)[0]}__{feature}"


def row_status(statuses: Sequence[str], values: Sequence[Any]) -> str:
    """The documented row status: NOT_FOUND, then OUTSIDE_TTL, then NULL_VALUE (a null value), else OK."""
    if "NOT_FOUND" in statuses:
        return "NOT_FOUND"
    if "OUTSIDE_TTL" in statuses:
        return "OUTSIDE_TTL"
    if any(v is None for v in values):
        return "NULL_VALUE"
    return "OK"


def online_reference(base: str, model: Any, references: List[str], keys: List[Optional[str]], api_key: Optional[str] = None) -> List[Dict[str, Any]]:
    """Per key: the row status and, for complete rows, the wrapped model's prediction and
    probability on the features of a plain POST /v1/online-features, in the model's column order."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    answer = requests.post(f"{base}/v1/online-features", json={"features": references, "entities": {"symbol": keys}}, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    columns = [column_of(r) for r in references]
    out = []
    for row, meta in zip(body["rows"], body["metadata"]):
        values = [row[c] for c in columns]
        status = row_status([meta["statuses"][c] for c in columns], values)
        out.append({"symbol": row["symbol"], "status": status, **_predicted(model, columns, [values] if status == "OK" else [])})
    return out


def batch_reference(base: str, model: Any, references: List[str], entity_rows: List[Dict[str, Any]]) -> pd.DataFrame:
    """A JSON training-set request (another parser than the client's Arrow body), decoded by
    pyarrow, scored row by row with the wrapped model."""
    answer = requests.post(
        f"{base}/v1/training-sets",
        json={"features": references, "entities": entity_rows, "pointInTime": "event"},
        headers={"Accept": "application/vnd.apache.arrow.stream"},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    table = pa.ipc.open_stream(answer.content).read_all()
    columns = [column_of(r) for r in references]
    rows = []
    for values in zip(*(table.column(c).to_pylist() for c in columns)):
        status = "NULL_VALUE" if any(v is None for v in values) else "OK"
        rows.append({"status": status, **_predicted(model, columns, [list(values)] if status == "OK" else [])})
    return pd.DataFrame(rows)


def _predicted(model: Any, columns: List[str], rows: List[List[Any]]) -> Dict[str, Any]:
    if not rows:
        return {"prediction": None, "probability": None}
    frame = pd.DataFrame(rows, columns=columns)
    return {"prediction": model.predict(frame)[0].item(), "probability": float(model.predict_proba(frame)[0, 1])}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([CLIENT_SRC] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(extra)
    return env


class ModelServer:
    """`mlflow models serve` of a model URI in its own process group (it starts uvicorn workers)."""

    def __init__(self, model_uri: str, env: Dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log, "wb")
        command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local", "-h", "127.0.0.1", "-p", str(self.port)]
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.log_path = log

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"mlflow models serve exited with {self.process.returncode}:\n{self.log_path.read_text()[-4000:]}")
            try:
                if requests.get(f"{self.url}/ping", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise AssertionError(f"mlflow models serve did not answer /ping within {timeout}s:\n{self.log_path.read_text()[-4000:]}")

    def stop(self) -> None:
        # The whole group, even when the CLI itself is gone: its uvicorn worker may not be.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=20)
                break
            except subprocess.TimeoutExpired:
                continue
        self._log.close()
