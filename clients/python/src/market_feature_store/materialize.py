"""Waiting for a materialisation job: polls ``GET /v1/jobs/{id}`` until it ends, with progress and a timeout."""
from __future__ import annotations

import sys
import time
from datetime import date, datetime, timezone
from typing import Any, Callable, Dict, Optional, Union

import pandas as pd

from .errors import InvalidArgumentError, JobFailedError, JobTimeoutError

#: A callable given each new job record, or True to print them to stderr.
Progress = Union[Callable[[Dict[str, Any]], None], bool, None]

_ENDED = ("succeeded", "failed")


class MaterializeWaiter:
    """Polls a job until it ends; the interval grows to at most 5 s so a long job costs few requests."""

    def __init__(self, get_job: Callable[[str], Dict[str, Any]], timeout: Optional[float], poll_interval: float, progress: Progress):
        self._get_job = get_job
        self._timeout = timeout
        self._interval = max(0.05, poll_interval)
        self._report = _reporter(progress)

    def wait(self, job: Dict[str, Any]) -> Dict[str, Any]:
        """Waits for the job the materialise request answered; returns its full record (``GET /v1/jobs/{id}``)."""
        job = self._get_job(str(job["jobId"]))  # the request's answer is short; the record has range, times, error
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        interval = self._interval
        last: Optional[tuple] = None
        while True:
            seen = (job.get("status"), job.get("rows"))
            if seen != last:
                self._report(job)
                last = seen
            if job.get("status") == "succeeded":
                return job
            if job.get("status") == "failed":
                raise JobFailedError(f"materialisation job {job.get('jobId')} failed: {job.get('error') or 'no reason given'}", details=job)
            if deadline is not None and time.monotonic() >= deadline:
                raise JobTimeoutError(f"materialisation job {job.get('jobId')} still {job.get('status')} after {self._timeout} s", details=job)
            pause = interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic()))
            time.sleep(pause)
            interval = min(5.0, interval * 1.5)
            job = self._get_job(str(job["jobId"]))


def _reporter(progress: Progress) -> Callable[[Dict[str, Any]], None]:
    if callable(progress):
        return progress
    if progress:
        return lambda job: print(f"materialize {job.get('jobId')}: {job.get('status')}, {job.get('rows', 0)} rows", file=sys.stderr)
    return lambda job: None


def iso_time(value: Any, field: str) -> Optional[str]:
    """A time argument as ISO-8601 UTC text (naive means UTC); None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (datetime, date, pd.Timestamp)):
        ts = pd.Timestamp(value)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert(timezone.utc)
        return ts.isoformat().replace("+00:00", "Z")
    raise InvalidArgumentError(f"{field}: expected a datetime or ISO-8601 text, got {type(value).__name__}", details={"field": field})
