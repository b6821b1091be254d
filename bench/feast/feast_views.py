"""The Feast definitions both Feast peers of the benches build over our offline store.

Entity `symbol` (STRING) and one FeatureView per view: Float64 fields, the view's TTL, a
FileSource over our offline Parquet files of that view (<offline>/<view>/v<version>/*.parquet,
timestamp_field event_ts, created_timestamp_column created_ts).
"""
import glob
import os
from datetime import timedelta


def offline_files(offline: str, view: str, version: int) -> tuple[str, list[str]]:
    """The folder of a view version's offline Parquet files and the files in it (sorted)."""
    folder = os.path.join(os.path.abspath(offline), view, f"v{version}")
    files = sorted(glob.glob(os.path.join(folder, "*.parquet")))
    if not files:
        raise SystemExit(f"no offline Parquet files under {folder}")
    return folder, files


def symbol_and_views(offline: str, version: int, features_by_view: dict, ttl: timedelta, online: bool):
    """(entity, [FeatureView, ...]) for `features_by_view` ({view: [feature, ...]})."""
    from feast import Entity, FeatureView, Field, FileSource
    from feast.types import Float64
    from feast.value_type import ValueType

    symbol = Entity(name="symbol", join_keys=["symbol"], value_type=ValueType.STRING)
    views = []
    for view, features in features_by_view.items():
        folder, files = offline_files(offline, view, version)
        # One FileSource reads one path; a folder of parts is read as a dataset.
        source = FileSource(
            name=f"{view}_source",
            path=files[0] if len(files) == 1 else folder,
            timestamp_field="event_ts",
            created_timestamp_column="created_ts",
        )
        views.append(
            FeatureView(
                name=view,
                entities=[symbol],
                ttl=ttl,
                schema=[Field(name=f, dtype=Float64) for f in features],
                source=source,
                online=online,
            )
        )
    return symbol, views
