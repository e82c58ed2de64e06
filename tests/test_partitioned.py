"""Accounting in partitions gives what accounting in memory gives (DESIGN.md "Scale-out").

The sample park is cut into Parquet row groups and Dask partitions; every figure of the summary
must equal the in-memory one to 1e-9 relative (only summation order differs), and bad rows must
give the same errors, with the same row numbers, or the same rejected rows. The ``loops``
tests run twice: partitions summed and hashed by NumPy, then by the compiled loops (whose
hashes must match the NumPy ones that find a copy again across partitions).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys

import numpy as np
import pandas as pd
import pytest
from tqdm import tqdm

import carbon
from carbon import accounting, partitioned
from carbon.errors import DuplicateRowError, InvalidQuantityError, NotAvailableError
from carbon.partitioned import account_dask, account_parquet, local_cluster
from carbon.resources import data_dir

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

PARK = data_dir("examples") / "sample_park"


@pytest.fixture(scope="module")
def park() -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(PARK / f"{name}.csv", dtype=str, keep_default_na=False)
            for name in ("activities", "facilities", "transfers")}


def close(a, b) -> bool:
    """Equal up to summation order: rel 1e-9 (figures are sums of thousands of products)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def in_memory(park, activities=None, strict=True, transfers=True):
    with pytest.warns(carbon.FactorFallbackWarning):  # CN-GD has no 2023 provincial factor
        return carbon.account(park["activities"] if activities is None else activities,
                              facilities=park["facilities"],
                              transfers=park["transfers"] if transfers else None, strict=strict)


@pytest.fixture(params=["summed", "rows"])
def partition_cells(request, monkeypatch) -> str:
    """Run a test with partitions summing their rows into cells for the merge, then handing
    it their rows (which of the two a partition does depends on its rows per possible cell)."""
    handed = []
    monkeypatch.setattr(accounting, "ROWS_PER_CELL_TO_SUM",
                        0 if request.param == "summed" else 10**9)
    account_partition = partitioned.account_partition
    monkeypatch.setattr(partitioned, "account_partition", lambda *args, **kw: handed.append(
        account_partition(*args, **kw)) or handed[-1])
    yield request.param
    summed = [len(part.cells) < part.rows for part in handed]
    assert summed and all(summed) == any(summed) == (request.param == "summed")


def write_row_groups(frame: pd.DataFrame, path, rows_per_group: int = 400):
    frame.to_parquet(path, row_group_size=rows_per_group, index=False)
    return path


@pytest.mark.parametrize("dense", [None, 64], ids=["dense matrix", "sorted keys"])
def test_parquet_row_groups_give_the_in_memory_summary(park, tmp_path, monkeypatch, dense,
                                                        loops, partition_cells):
    """Streaming eight row groups, transfers netted, equals the in-memory summary, whether the
    merge adds into a dense matrix or, past ``DENSE`` cells, into sorted keys."""
    if dense is not None:
        monkeypatch.setattr(partitioned._CellSums, "DENSE", dense)
    path = write_row_groups(park["activities"], tmp_path / "activities.parquet")
    expected = in_memory(park).summary()
    with pytest.warns(carbon.FactorFallbackWarning):
        got = account_parquet(path, facilities=park["facilities"],
                              transfers=park["transfers"]).summary()
    assert close(got, expected)


def test_dask_partitions_give_the_in_memory_summary(park, loops):
    """Five Dask partitions (threaded scheduler) equal the in-memory summary."""
    frame = dd.from_pandas(park["activities"], npartitions=5)
    expected = in_memory(park).summary()
    with pytest.warns(carbon.FactorFallbackWarning):
        got = carbon.account(frame, facilities=park["facilities"],
                             transfers=park["transfers"]).summary()
    assert close(got, expected)


@pytest.mark.parametrize("dense", [None, 64], ids=["dense matrix", "sorted keys"])
def test_lanes_of_partitions_combine_to_the_in_memory_summary(park, monkeypatch, dense, loops):
    """Seven partitions merged in three lanes, then the lanes' mergers combined: block by
    block for dense matrices (each lane meets the combinations in its own order), cell by
    cell past ``DENSE``."""
    if dense is not None:
        monkeypatch.setattr(partitioned._CellSums, "DENSE", dense)
    shuffled = park["activities"].sample(frac=1, random_state=7)  # lanes meet in other orders
    frame = dd.from_pandas(shuffled, npartitions=7, sort=False)
    expected = in_memory(park).summary()
    with dask.config.set(scheduler="threads", num_workers=3), \
            pytest.warns(carbon.FactorFallbackWarning):
        got = carbon.account(frame, facilities=park["facilities"],
                             transfers=park["transfers"]).summary()
    assert close(got, expected)


def test_a_partition_read_by_a_task_of_its_own_is_read_in_its_lane(park, tmp_path):
    """``dd.read_parquet``'s row groups are read inside the tasks that account them, not
    by tasks of their own whose frames would travel to the lanes on a cluster."""
    from dask.callbacks import Callback

    folder = parquet_folder(park["activities"], tmp_path / "activities")
    ran: list = []

    class Record(Callback):
        def _posttask(self, key, result, dsk, state, worker_id) -> None:
            ran.append(key[0] if isinstance(key, tuple) else key)

    frame = dd.read_parquet(folder, split_row_groups=True)
    with dask.config.set(scheduler="threads"), Record(), \
            pytest.warns(carbon.FactorFallbackWarning):
        got = account_dask(frame, facilities=park["facilities"],
                           transfers=park["transfers"]).summary()
    assert close(got, in_memory(park).summary())
    assert ran.count(next(k for k in ran if "-partition-" in k)) == frame.npartitions > 1
    assert all(k.startswith("parkcarbon-") for k in ran)


def test_read_parquet_partitions_are_made_by_our_conversion_to_dasks_frames(park, tmp_path):
    """A ``dd.read_parquet`` partition is converted from Arrow by :func:`carbon.io.arrow_frame`
    (Dask's conversion makes each dictionary's categories again) into the values Dask's own
    conversion makes (a text column's missing value may be NaN where Dask's is NA); any
    other partition's task is left as it is."""
    from carbon.dask_parquet import ArrowFrames, converted_by_arrow_frame

    folder = parquet_folder(park["activities"], tmp_path / "activities")
    frame = dd.read_parquet(folder, split_row_groups=True)
    for part in frame.to_delayed():
        node = partitioned._standalone_task(part.dask, part.key)
        converted = converted_by_arrow_frame(node)
        assert converted.func.engine is ArrowFrames and node.func.engine is not ArrowFrames
        pd.testing.assert_frame_equal(converted({}), node({}), check_dtype=False)
    other = dd.from_pandas(park["activities"], npartitions=2).to_delayed()[0]
    node = partitioned._standalone_task(other.dask, other.key)
    assert converted_by_arrow_frame(node) is node


def test_a_dask_whose_parquet_reader_moved_keeps_its_own_conversion(park, tmp_path,
                                                                    monkeypatch):
    """Where ``carbon.dask_parquet`` cannot import Dask's reader, partitions keep Dask's own
    conversion and the run its numbers."""
    monkeypatch.setitem(sys.modules, "carbon.dask_parquet", None)  # import raises ImportError
    folder = parquet_folder(park["activities"], tmp_path / "activities")
    frame = dd.read_parquet(folder, split_row_groups=True)
    part = frame.to_delayed()[0]
    node = partitioned._standalone_task(part.dask, part.key)
    assert partitioned._converted_by_arrow_frame(node) is node
    with pytest.warns(carbon.FactorFallbackWarning):
        got = account_dask(frame, facilities=park["facilities"]).summary()
    assert close(got, in_memory(park, transfers=False).summary())


def test_read_parquet_with_filters_and_columns_gives_the_pandas_numbers(park, tmp_path):
    """What ``dd.read_parquet`` selects (rows by filters, columns, around the file's own
    index) is still Dask's to read: only the conversion is ours."""
    activities = park["activities"].assign(note="kept out")
    folder = tmp_path / "activities"
    folder.mkdir()
    indexed = activities.astype({"facility": "category"}).set_index(
        pd.Index(np.arange(len(activities)) * 3, name="record"))  # stored as a column
    indexed.to_parquet(folder / "part-0.parquet", row_group_size=300)
    frame = dd.read_parquet(folder, split_row_groups=True, filters=[("year", "!=", "2021")],
                            columns=list(park["activities"].columns))
    kept = park["activities"][park["activities"]["year"] != "2021"]
    assert 0 < len(kept) < len(park["activities"])
    with pytest.warns(carbon.FactorFallbackWarning):
        got = account_dask(frame, facilities=park["facilities"]).summary()
    assert close(got, in_memory(park, kept, transfers=False).summary())


def test_partitioned_inventory_has_no_ledger_and_says_why(park, tmp_path):
    path = write_row_groups(park["activities"], tmp_path / "activities.parquet")
    with pytest.warns(carbon.FactorFallbackWarning):
        inventory = account_parquet(path, facilities=park["facilities"])
    with pytest.raises(NotAvailableError, match="partitions"):
        _ = inventory.ledger


def spoil(frame: pd.DataFrame, positions: list[int]) -> pd.DataFrame:
    spoilt = frame.copy()
    spoilt.loc[positions, "quantity"] = "-1"
    return spoilt


def test_bad_rows_in_one_partition_give_the_pandas_error(park):
    """A negative quantity deep in partition 3 names the same row as on pandas."""
    bad = spoil(park["activities"], [2500])
    with pytest.raises(InvalidQuantityError) as on_pandas:
        carbon.account(bad, facilities=park["facilities"])
    with pytest.raises(InvalidQuantityError) as on_dask:
        carbon.account(dd.from_pandas(bad, npartitions=4), facilities=park["facilities"])
    assert str(on_dask.value) == str(on_pandas.value)
    assert on_dask.value.problems[0].row == 2502


def test_lenient_mode_rejects_the_same_rows_on_dask(park, loops):
    """No transfers here: a rejected heat purchase could leave a transfer over-selling."""
    bad = spoil(park["activities"], [10, 1600, 3000])
    expected = in_memory(park, bad, strict=False, transfers=False)
    with pytest.warns(carbon.FactorFallbackWarning):
        got = carbon.account(dd.from_pandas(bad, npartitions=4), facilities=park["facilities"],
                             strict=False)
    assert got.rows == expected.rows == {"input": 3041, "accounted": 3038, "rejected": 3}
    assert list(got.rejected["row"]) == list(expected.rejected["row"]) == [12, 1602, 3002]
    assert close(got.summary(), expected.summary())


def with_copy_across_partitions(frame: pd.DataFrame) -> pd.DataFrame:
    """The sample park with its first row copied to the end (another partition)."""
    return pd.concat([frame, frame.iloc[[0]]], ignore_index=True)


def test_duplicate_across_partitions_is_found_in_strict_mode(park, loops):
    copied = with_copy_across_partitions(park["activities"])
    with pytest.raises(DuplicateRowError) as caught:
        carbon.account(dd.from_pandas(copied, npartitions=3), facilities=park["facilities"])
    problem = caught.value.problems[0]
    assert problem.row == len(copied) + 1 and "duplicate of row 2" in problem.reason


def test_duplicate_across_partitions_is_rejected_in_lenient_mode(park, loops,
                                                                 partition_cells):
    """The later copy is rejected and taken back out: totals equal the in-memory lenient run."""
    copied = with_copy_across_partitions(park["activities"])
    expected = in_memory(park, copied, strict=False)
    with pytest.warns(carbon.FactorFallbackWarning):
        got = carbon.account(dd.from_pandas(copied, npartitions=3),
                             facilities=park["facilities"], transfers=park["transfers"],
                             strict=False)
    assert got.rows == expected.rows and got.rows["rejected"] == 1
    assert list(got.rejected["row"]) == [len(copied) + 1]
    assert close(got.summary(), expected.summary())


def parquet_folder(frame: pd.DataFrame, folder, files: int = 2, rows_per_group: int = 400):
    """``frame`` cut into ``files`` Parquet files of several row groups each, its text columns
    categoricals (dictionary-encoded in the files, as an analyst's export has them)."""
    folder.mkdir()
    frame = frame.astype({c: "category" for c in ("facility", "activity", "unit")})
    size = -(-len(frame) // files)
    for i in range(files):
        frame.iloc[i * size:(i + 1) * size].to_parquet(
            folder / f"part-{i}.parquet", row_group_size=rows_per_group, index=False)
    return folder


@pytest.mark.parametrize("run", [account_parquet, account_dask], ids=["streamed", "dask"])
def test_a_parquet_folder_of_dictionaries_gives_the_in_memory_summary(park, tmp_path, run):
    """Files of dictionary-encoded row groups, streamed or read by Dask's workers (what
    ``--engine stream`` and ``--engine dask`` run)."""
    folder = parquet_folder(park["activities"], tmp_path / "activities")
    expected = in_memory(park).summary()
    with pytest.warns(carbon.FactorFallbackWarning):
        got = run(folder, facilities=park["facilities"], transfers=park["transfers"]).summary()
    assert close(got, expected)


def test_bad_rows_in_a_parquet_folder_on_dask_name_file_and_row(park, tmp_path):
    """Errors and rejected rows name the file and its row, as the streamed run does."""
    bad = spoil(park["activities"], [10, 2500])  # rows 12 of part-0 and 981 of part-1
    folder = parquet_folder(bad, tmp_path / "activities")
    with pytest.raises(InvalidQuantityError) as streamed:
        account_parquet(folder, facilities=park["facilities"])
    with pytest.raises(InvalidQuantityError) as on_dask:
        account_dask(folder, facilities=park["facilities"])
    assert str(on_dask.value) == str(streamed.value)
    assert [(p.file, p.row) for p in on_dask.value.problems] == [
        ("part-0.parquet", 12), ("part-1.parquet", 2500 - 1521 + 2)]
    with pytest.warns(carbon.FactorFallbackWarning):
        lenient = account_dask(folder, facilities=park["facilities"], strict=False)
    assert list(lenient.rejected["row"]) == [12, 981]
    assert lenient.rows == {"input": 3041, "accounted": 3039, "rejected": 2}


def test_a_copy_in_another_file_on_dask_names_that_file(park, tmp_path):
    folder = parquet_folder(with_copy_across_partitions(park["activities"]),
                            tmp_path / "activities")
    with pytest.raises(DuplicateRowError) as caught:
        account_dask(folder, facilities=park["facilities"])
    problem = caught.value.problems[0]
    assert (problem.file, problem.row) == ("part-1.parquet", 3042 - 1521 + 1)
    assert problem.reason == "duplicate of row 2 of part-0.parquet"


@pytest.mark.parametrize("what", ["missing", "empty", "csv"])
def test_a_path_that_is_no_parquet_is_one_clear_error(park, tmp_path, what):
    path = {"missing": tmp_path / "nowhere", "empty": tmp_path,
            "csv": PARK / "activities.csv"}[what]
    for run in (account_parquet, account_dask):
        with pytest.raises(carbon.InputError, match=r"a \.parquet file or a folder") as caught:
            run(path)
        assert caught.value.problems[0].file == str(path)


def test_the_cli_dask_engine_equals_the_streamed_one(park, tmp_path, capsys):
    from carbon.cli import main

    folder = parquet_folder(park["activities"], tmp_path / "activities")
    summaries = []
    for engine in ("stream", "dask"):
        assert main(["account", str(folder), "--engine", engine, "--format", "json", "--quiet",
                     "--facilities", str(PARK / "facilities.csv")]) == 0
        summaries.append(json.loads(capsys.readouterr().out))
    assert close(summaries[1], summaries[0])


def test_dask_progress_counts_partitions_on_stderr(park, tmp_path, monkeypatch, capsys):
    """On Dask's local schedulers the bar counts partitions done; nothing goes to stdout."""
    folder = parquet_folder(park["activities"], tmp_path / "activities")
    bars = []

    def recording(total, desc, enabled=None, unit="it"):
        bars.append(tqdm(total=total, desc=desc, unit=unit, file=sys.stderr,
                         disable=not enabled))
        return bars[-1]

    monkeypatch.setattr(partitioned, "progress_bar", recording)
    with pytest.warns(carbon.FactorFallbackWarning):
        account_dask(folder, facilities=park["facilities"], progress=True)
    groups = len(partitioned.parquet_partitions(folder))
    assert groups == 8 and bars[0].total == bars[0].n == groups
    out = capsys.readouterr()
    assert out.out == "" and f"{groups}/{groups}" in out.err


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
@pytest.mark.parametrize("source", ["folder", "dataframe"])
def test_partitions_run_in_lanes_and_leave_no_cells_behind(park, tmp_path, scheduler, source):
    """However many partitions, each lane (as many as tasks run at once) accounts one at a
    time, after its last (Dask's own ordering ran every partition of a graph of 100 before
    the first merge), and a partition's task ends with its cells merged: what it leaves is
    its lane's merger and its hashes, cut for the ranges."""
    from dask.callbacks import Callback

    frame = pd.concat([park["activities"].assign(quantity=lambda f, k=k: pd.to_numeric(
        f["quantity"]) * k) for k in (1, 2, 3, 4)], ignore_index=True)  # no row repeats
    data = (write_row_groups(frame, tmp_path / "activities.parquet", rows_per_group=500)
            if source == "folder" else dd.from_pandas(frame, npartitions=25, sort=False))
    events: list[tuple[str, int]] = []
    merged: list[bool] = []
    mergers: set = set()

    class Record(Callback):
        def _pretask(self, key, dsk, state) -> None:
            if isinstance(key, tuple) and _kind(key) == "partition":
                events.append(("start", key[1]))

        def _posttask(self, key, result, dsk, state, worker_id) -> None:
            if isinstance(key, tuple) and _kind(key) == "partition":
                events.append(("end", key[1]))
                merger, pieces = result  # no Partial: its cells were merged, or (threads)
                mergers.add(merger)      # wait in the shared merger for the lock's holder
                merged.append(isinstance(merger, partitioned._Merger)
                              and all(isinstance(p, np.ndarray) for p in pieces))

    with dask.config.set(scheduler=scheduler), Record(), \
            pytest.warns(carbon.FactorFallbackWarning):
        got = account_dask(data, facilities=park["facilities"]).summary()
    with pytest.warns(carbon.FactorFallbackWarning):
        assert close(got, carbon.account(frame, facilities=park["facilities"]).summary())
    lanes = 1 if scheduler == "sync" else dask.system.CPU_COUNT
    ended: set[int] = set()
    for what, i in events:
        if what == "start":
            assert i < lanes or i - lanes in ended  # after its lane's last
        else:
            ended.add(i)
    assert len(ended) == len(merged) == 25 and all(merged)
    assert sum(len(m.sizes) for m in mergers) == 25 and not any(m.waiting for m in mergers)


def test_dask_knows_what_a_merger_weighs(park):
    """Dask weighs a task's result by ``sys.getsizeof``: a merger counts its arrays, or a
    cluster's scheduler takes it for a few dozen bytes and sends it to whichever worker is
    free first, away from its lane's next partition."""
    from dask.sizeof import sizeof

    setup = accounting.Setup.build(park["facilities"], None, "cn", "AR5", True)
    partial = partitioned.account_partition(0, partitioned._table(park["activities"]), setup)
    merger = partitioned._Merger(setup).add(partial)
    arrays = merger.sums.matrix.nbytes + merger.used.nbytes + partial.hashes.nbytes
    assert sizeof(merger) == sys.getsizeof(merger) > arrays > 10_000


def test_a_merger_travels_without_the_run_setup(park):
    """A merger sent between processes leaves the setup's tables behind (the facility ids
    took a third of the time to gather two lanes' mergers) and takes them back from the
    receiver's setup, merging on as if it had stayed."""
    import pickle

    setup = accounting.Setup.build(park["facilities"], None, "cn", "AR5", True)
    middle = len(park["activities"]) // 2
    halves = [park["activities"].iloc[:middle], park["activities"].iloc[middle:]]
    parts = [partitioned.account_partition(i, partitioned._table(half), setup)
             for i, half in enumerate(halves)]
    home = partitioned._merge(partitioned._merge(None, parts[0], setup), parts[1], setup)
    travelled = pickle.loads(pickle.dumps(partitioned._merge(None, parts[0], setup)))
    assert travelled.regions is None and travelled.lib is None
    travelled = partitioned._merge(travelled, parts[1], setup)
    assert travelled.regions is setup.regions
    for merged in (home, travelled):
        merged.close()
    (cells, ids), (home_cells, home_ids) = travelled.cells(), home.cells()
    assert list(ids) == list(home_ids)
    pd.testing.assert_frame_equal(cells, home_cells)


def test_lanes_follow_the_scheduler():
    """As many lanes of partitions as the scheduler runs tasks at once: a thread pool of the
    user's own counts its threads."""
    from concurrent.futures import ThreadPoolExecutor

    setup = accounting.Setup.build(None, None, "cn", "AR5", True)
    with ThreadPoolExecutor(6) as pool:
        for config, lanes in [({"scheduler": "sync"}, 1), ({"scheduler": "threads",
                              "num_workers": 3}, 3), ({"pool": pool}, 6)]:
            with dask.config.set(config):
                assert partitioned._RunGraph(lambda: setup).lanes == lanes


def test_local_cluster_gives_the_pandas_numbers(park, tmp_path, capsys):
    """Worker processes of a dask.distributed LocalCluster (the setup is pickled to them), as
    ``--engine dask --workers 2`` starts them: glibc's adaptive mmap threshold left on, one
    BLAS thread each. A DataFrame, a ``dd.read_parquet`` one (its row groups read inside the
    tasks that account them), and a Parquet folder the workers read. The run's setup is on
    every worker before the first task, or the scheduler keeps all tasks beside one. Bad rows
    in one partition give the pandas error, or the pandas rows rejected."""
    distributed = pytest.importorskip("dask.distributed")
    folder = parquet_folder(park["activities"], tmp_path / "activities")
    expected = in_memory(park).by_facility()
    with local_cluster(2) as cluster, distributed.Client(cluster) as client:
        environ = client.run(lambda: {k: os.environ.get(k) for k in (
            "MALLOC_TRIM_THRESHOLD_", "OPENBLAS_NUM_THREADS")})
        assert list(environ.values()) == [{"MALLOC_TRIM_THRESHOLD_": None,
                                           "OPENBLAS_NUM_THREADS": "1"}] * 2
        with pytest.warns(carbon.FactorFallbackWarning):
            got = carbon.account(dd.from_pandas(park["activities"], npartitions=4),
                                 facilities=park["facilities"],
                                 transfers=park["transfers"]).by_facility()
        capsys.readouterr()
        with pytest.warns(carbon.FactorFallbackWarning):
            read_there = account_dask(folder, facilities=park["facilities"],
                                      transfers=park["transfers"], progress=True).by_facility()
        shown = capsys.readouterr()  # the cluster's own bar, on stderr
        assert shown.out == "" and "100% Completed" in shown.err
        with pytest.warns(carbon.FactorFallbackWarning):
            read_in_lanes = account_dask(dd.read_parquet(folder, split_row_groups=True),
                                         facilities=park["facilities"],
                                         transfers=park["transfers"]).by_facility()
        with dask.config.set(scheduler=client):
            graph = partitioned._RunGraph(
                lambda: accounting.Setup.build(None, None, "cn", "AR5", True))
        assert len(client.who_has(graph.setup_ref)[graph.setup_ref.key]) == 2
        # Bad rows in one partition: the pandas error, or in lenient mode the pandas rows
        # rejected, from mergers that travelled from the workers without the run's setup.
        bad = spoil(park["activities"], [10, 2500])
        with pytest.raises(InvalidQuantityError) as on_cluster:
            carbon.account(dd.from_pandas(bad, npartitions=4), facilities=park["facilities"])
        with pytest.warns(carbon.FactorFallbackWarning):
            lenient = carbon.account(dd.from_pandas(bad, npartitions=4),
                                     facilities=park["facilities"], strict=False)
    with pytest.raises(InvalidQuantityError) as on_pandas:
        carbon.account(bad, facilities=park["facilities"])
    assert str(on_cluster.value) == str(on_pandas.value)
    expected_lenient = in_memory(park, bad, strict=False, transfers=False)
    assert list(lenient.rejected["row"]) == list(expected_lenient.rejected["row"]) == [12, 2502]
    assert close(lenient.summary(), expected_lenient.summary())
    for table in (got, read_there, read_in_lanes):
        np.testing.assert_allclose(table.loc[expected.index].to_numpy(), expected.to_numpy(),
                                   rtol=1e-9)


def test_a_copy_in_another_file_names_that_file(park, tmp_path):
    """A folder of two Parquet files: the later copy's reason names the first copy's file."""
    folder = tmp_path / "activities"
    folder.mkdir()
    frame = park["activities"]
    frame.iloc[:2000].to_parquet(folder / "a.parquet", index=False)
    pd.concat([frame.iloc[2000:], frame.iloc[[5]]]).to_parquet(folder / "b.parquet", index=False)
    with pytest.raises(DuplicateRowError) as caught:
        account_parquet(folder, facilities=park["facilities"])
    problem = caught.value.problems[0]
    assert problem.file == "b.parquet" and problem.row == len(frame) - 2000 + 2
    assert problem.reason == "duplicate of row 7 of a.parquet"


def test_without_dask_the_cli_says_how_to_install_it(park, tmp_path, monkeypatch, capsys):
    """Dask is an optional extra: --engine dask without it is one message, not a traceback."""
    from carbon.cli import main

    folder = tmp_path / "activities"
    folder.mkdir()
    park["activities"].to_parquet(folder / "part-0.parquet", index=False)
    for module in ("dask", "dask.dataframe", "dask.distributed"):
        monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    assert main(["account", str(folder), "--engine", "dask", "--workers", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("parkcarbon: error: --engine dask --workers needs Dask")
    assert "pip install 'parkcarbon[dask]'" in err and "Traceback" not in err


def test_lanes_of_one_process_share_a_merger_a_merge_at_a_time(park, tmp_path, monkeypatch):
    """On Dask's local schedulers every lane merges into one merger (one matrix, none to
    combine), each merge holding its lock: two at once would add into the same cells."""
    from dask.callbacks import Callback

    folder = write_row_groups(park["activities"], tmp_path / "activities.parquet",
                              rows_per_group=400)
    add = partitioned._Merger.add
    unlocked = []

    def checked_add(merger, part):
        unlocked.append(merger.lock is None or not merger.lock.locked())
        return add(merger, part)

    monkeypatch.setattr(partitioned._Merger, "add", checked_add)
    mergers = set()

    class Record(Callback):
        def _posttask(self, key, result, dsk, state, worker_id) -> None:
            if isinstance(key, tuple) and key[0].startswith("parkcarbon-merger-"):
                mergers.add(id(result))

    with dask.config.set(scheduler="threads", num_workers=3), Record(), \
            pytest.warns(carbon.FactorFallbackWarning):
        got = account_dask(folder, facilities=park["facilities"]).by_facility()
    assert len(unlocked) == len(partitioned.parquet_partitions(folder)) > 3
    assert not any(unlocked) and len(mergers) == 1
    expected = in_memory(park).by_facility()
    np.testing.assert_allclose(got.loc[expected.index].to_numpy(), expected.to_numpy(),
                               rtol=1e-9)


def test_a_lane_never_waits_for_another_lanes_merge(park, monkeypatch):
    """A merge that finds the shared merger busy leaves its part to the merge holding the
    lock, which adds it before it ends: the lane goes on to its next partition."""
    import threading

    setup = accounting.Setup.build(park["facilities"], None, "cn", "AR5", True)
    merger = partitioned._shared_merger(setup)
    added, adding, go_on = [], threading.Event(), threading.Event()

    def slow_add(merger, part):
        added.append(part)
        if part == "first":
            adding.set()
            go_on.wait(5)
        return merger

    monkeypatch.setattr(partitioned._Merger, "add", slow_add)
    first = threading.Thread(target=partitioned._merge, args=(merger, "first", setup))
    first.start()
    assert adding.wait(5)
    assert partitioned._merge(merger, "second", setup) is merger  # at once
    assert added == ["first"]
    go_on.set()
    first.join(5)
    assert added == ["first", "second"] and not merger.waiting and not merger.lock.locked()


@pytest.mark.parametrize("pool", ["processes", "process pool"])
def test_dask_processes_give_the_pandas_numbers(park, tmp_path, pool):
    """Dask's process schedulers pickle every task's result: the lanes keep a merger each
    (one shared by threads holds a lock, which does not travel)."""
    from concurrent.futures import ProcessPoolExecutor

    folder = write_row_groups(park["activities"], tmp_path / "activities.parquet",
                              rows_per_group=400)
    with contextlib.ExitStack() as stack:
        config = ({"scheduler": "processes", "num_workers": 2} if pool == "processes" else
                  {"scheduler": "threads", "pool": stack.enter_context(ProcessPoolExecutor(2))})
        stack.enter_context(dask.config.set(config))
        assert not partitioned._in_this_process()
        with pytest.warns(carbon.FactorFallbackWarning):
            got = account_dask(folder, facilities=park["facilities"]).by_facility()
    expected = in_memory(park).by_facility()
    np.testing.assert_allclose(got.loc[expected.index].to_numpy(), expected.to_numpy(),
                               rtol=1e-9)


def test_the_first_partitions_are_read_while_the_setup_is_built(park, tmp_path):
    """On Dask's threads the run's setup is a task, and each lane's first partition is read by
    a task that does not wait for it."""
    from dask.callbacks import Callback

    folder = write_row_groups(park["activities"], tmp_path / "activities.parquet",
                              rows_per_group=400)
    events: list[tuple[str, str]] = []

    class Record(Callback):
        def _pretask(self, key, dsk, state) -> None:
            events.append(("start", _kind(key)))

        def _posttask(self, key, result, dsk, state, worker_id) -> None:
            events.append(("end", _kind(key)))

    with dask.config.set(scheduler="threads", num_workers=2), Record(), \
            pytest.warns(carbon.FactorFallbackWarning):
        account_dask(folder, facilities=park["facilities"])
    assert [kind for when, kind in events if when == "start"].count("read") == 2
    assert events.index(("start", "read")) < events.index(("end", "setup"))


def _kind(key) -> str:
    """The kind of one of a run's tasks (``parkcarbon-<kind>-<run>``)."""
    return (key[0] if isinstance(key, tuple) else key).split("-")[1]
