"""``dd.read_parquet``'s partitions, made pandas frames the way our own reader makes them.

Imported only for a Dask run: it subclasses a class of Dask's.
"""

from __future__ import annotations

import copy

from dask._task_spec import Task
from dask.dataframe.io.parquet.arrow import ArrowDatasetEngine
from dask.dataframe.io.parquet.core import ParquetFunctionWrapper

from .io import arrow_frame


class ArrowFrames(ArrowDatasetEngine):
    """Dask's pyarrow engine, with each partition's Arrow table converted by
    :func:`carbon.io.arrow_frame`: Dask's conversion makes (and checks) the categories of
    every dictionary column again for every partition, holding the GIL, where ours reuses a
    row group's dtype for the next. The frames are only ever our kernel's input, so pandas
    options of the conversion (types mappers, the dtype backend) would change nothing it
    reads; reading, filters, columns and the index stay Dask's."""

    @classmethod
    def _arrow_table_to_pandas(cls, arrow_table, categories, dtype_backend=None,
                               convert_string=False, **kwargs):
        return arrow_frame(arrow_table)


def converted_by_arrow_frame(node):
    """A partition's task ``node``, with ``dd.read_parquet``'s conversion replaced by
    :class:`ArrowFrames` when it is the task of Dask's own pyarrow engine (a user's engine,
    or any other task, is left as it is)."""
    wrapper = getattr(node, "func", None)
    if type(wrapper) is not ParquetFunctionWrapper or wrapper.engine is not ArrowDatasetEngine:
        return node
    wrapper = copy.copy(wrapper)
    wrapper.engine = ArrowFrames
    return Task(node.key, wrapper, *node.args, **node.kwargs)
