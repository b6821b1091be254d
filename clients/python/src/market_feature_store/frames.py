"""Tables in and out: entity frames to Arrow IPC (one body, never row by row) and Arrow answers
to pandas with the dtypes a data scientist expects."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Union

import pandas as pd
import pyarrow as pa

from .errors import InvalidArgumentError

ARROW_STREAM = "application/vnd.apache.arrow.stream"

#: Time column names tried in order when the caller names none (ours, then Feast's).
TIME_COLUMNS = ("ts", "event_timestamp")

TableLike = Union[pd.DataFrame, pa.Table, pa.RecordBatch]


def as_table(frame: TableLike, what: str = "entity_df") -> pa.Table:
    """A pandas DataFrame or pyarrow Table/RecordBatch as a pyarrow Table (the index is dropped)."""
    if isinstance(frame, pa.Table):
        return frame
    if isinstance(frame, pa.RecordBatch):
        return pa.Table.from_batches([frame])
    if isinstance(frame, pd.DataFrame):
        try:
            return pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise InvalidArgumentError(f"{what}: cannot convert the DataFrame to Arrow ({error})", details={"field": what}) from error
    raise InvalidArgumentError(f"{what}: expected a pandas DataFrame or a pyarrow Table, got {type(frame).__name__}", details={"field": what})


def time_column(table: pa.Table, timestamp_column: Optional[str], what: str = "entity_df") -> str:
    """The frame's time column: the one named, else `ts`, else Feast's `event_timestamp`."""
    names = table.column_names
    if timestamp_column is not None:
        if timestamp_column not in names:
            raise InvalidArgumentError(f"{what}: no column {timestamp_column!r} (timestamp_column); columns are {names}", details={"field": timestamp_column})
        return timestamp_column
    for name in TIME_COLUMNS:
        if name in names:
            return name
    raise InvalidArgumentError(f"{what}: no time column: name it `ts` or `event_timestamp`, or pass timestamp_column=; columns are {names}", details={"field": "ts"})


def utc_times(table: pa.Table, column: str) -> pa.Table:
    """The table with `column` as UTC timestamps: tz-naive means UTC, tz-aware is converted.

    Arrow keeps every timestamp as an instant since the epoch (a naive one as wall time in UTC),
    so both cases only change the type's zone, never the values. Text and numbers are left for the
    server to parse, as it does for every other format.
    """
    index = table.column_names.index(column)
    field = table.schema.field(index)
    if not pa.types.is_timestamp(field.type):
        return table
    target = pa.timestamp(field.type.unit, tz="UTC")
    if field.type == target:
        return table
    return table.set_column(index, pa.field(column, target, nullable=field.nullable), table.column(index).cast(target))


def to_ipc(table: pa.Table) -> pa.Buffer:
    """The table as one Arrow IPC stream (the body of a request)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def from_ipc(body: Union[bytes, pa.Buffer]) -> pa.Table:
    """An Arrow IPC stream (an answer's body) as a Table, without copying the bytes."""
    return pa.ipc.open_stream(pa.py_buffer(body) if isinstance(body, (bytes, bytearray, memoryview)) else body).read_all()


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """A DataFrame with the dtypes of the issue: timestamps datetime64[ns, UTC], doubles float64,
    integers with nulls Int64, booleans with nulls boolean, text as pandas' default string type.

    A column without nulls keeps its NumPy dtype (a label column comes back as it went), so only
    the nullable integer and boolean columns are converted one by one.
    """
    nullable = [i for i, field in enumerate(table.schema) if _needs_extension(field.type) and table.column(i).null_count > 0]
    plain = [i for i in range(table.num_columns) if i not in set(nullable)]
    df = _plain_pandas(table.select(plain) if nullable else table)
    for i in nullable:
        df.insert(i, table.schema.field(i).name, _extension_series(table.column(i), table.num_rows))
    for name, dtype in df.dtypes.items():
        if pd.api.types.is_datetime64_dtype(dtype) and not isinstance(dtype, pd.DatetimeTZDtype):
            df[name] = df[name].dt.tz_localize("UTC")  # a naive timestamp from the server is UTC
    return df


def _plain_pandas(table: pa.Table) -> pd.DataFrame:
    try:
        return table.to_pandas(coerce_temporal_nanoseconds=True)
    except TypeError:  # pyarrow < 13 has no such option and gives nanoseconds anyway
        return table.to_pandas()


def _needs_extension(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_boolean(t)


def _extension_series(column: pa.ChunkedArray, rows: int) -> pd.Series:
    if pa.types.is_boolean(column.type):
        values = pd.BooleanDtype().__from_arrow__(column)
    else:
        unsigned64 = pa.types.is_uint64(column.type)
        target = pa.uint64() if unsigned64 else pa.int64()
        dtype = pd.UInt64Dtype() if unsigned64 else pd.Int64Dtype()
        values = dtype.__from_arrow__(column.cast(target) if column.type != target else column)
    return pd.Series(values, index=pd.RangeIndex(rows), copy=False)


def columns_of_rows(rows: Sequence[dict], names: List[str]) -> pa.Table:
    """Row objects (an online answer) as a Table with the columns in `names`' order."""
    return pa.Table.from_pydict({name: [row.get(name) for row in rows] for name in names})


def is_table(value: Any) -> bool:
    return isinstance(value, (pd.DataFrame, pa.Table, pa.RecordBatch))
