"""Which run a retrieval links to: the explicit one, else the active MLflow run, else none."""
from __future__ import annotations

import sys
from typing import Optional, Union


def active_mlflow_run_id() -> Optional[str]:
    """The id of the active MLflow run of this process, or None.

    Looked up only when mlflow is already imported: a process with an active run has imported it,
    and importing mlflow (seconds) must not slow down every retrieval of a process that has none.
    """
    mlflow = sys.modules.get("mlflow")
    if mlflow is None:
        return None
    try:
        run = mlflow.active_run()
    except Exception:  # a half-configured tracking setup must not break a retrieval
        return None
    return run.info.run_id if run is not None else None


def resolve_run_id(run_id: Union[str, bool, None]) -> Optional[str]:
    """``run_id=False`` opts out, a string wins, None means the active MLflow run (if any)."""
    if run_id is False:
        return None
    if isinstance(run_id, str) and run_id:
        return run_id
    if run_id is None or run_id is True:
        return active_mlflow_run_id()
    raise TypeError(f"run_id: expected a run id, None or False, got {run_id!r}")
