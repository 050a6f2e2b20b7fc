"""From files to one :class:`Dataset`: which adapter reads which file, and merging their results.

``plan`` walks the inputs and picks an adapter per file; ``assemble`` merges per-file results
(in plan order) and validates the canonical table (one row per item key, named errors).
"""


from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.config import load_config
from rescore.errors import InputError
from rescore.read import counts as counting
from rescore.read import remote, schema
from rescore.read.cache import DetectionMemo, cache_folder
from rescore.read.options import LoadOptions
from rescore.read.per_file import COUNT_COLUMNS, FileResult, empty_counts, general_key_hashes
from rescore.read.plugins import AdapterPlugin as Adapter
from rescore.read.plugins import all_adapters, detect, get_adapter
from rescore.read.sources import SourceInfo

_DOC_NAMES = ("readme", "provenance", "license", "licence", "changelog")


@dataclass
class Dataset:
    """Canonical items, counts-only aggregates, and what was read from where."""

    items: pd.DataFrame
    counts: pd.DataFrame = field(default_factory=lambda: empty_counts())
    sources: list[SourceInfo] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # counts mode (LoadOptions.need_items=False): per-item outcome counts instead of item rows
    item_counts: pd.DataFrame = field(default_factory=lambda: counting.empty_item_counts())

    @property
    def has_items(self) -> bool:
        return len(self.items) > 0

    @property
    def runs(self) -> pd.DataFrame:
        """One row per run read: where it came from, what it holds, and the producer's own number.

        Columns: ``path``, ``producer`` (the adapter), ``model``, ``benchmark``, ``run``, ``items``,
        one ``n_<outcome>`` per outcome, ``producer_accuracy`` and ``producer_label`` (the producer's
        aggregate at t = 0, where it wrote one). The notebook view of a folder of dumps, as inspect_ai's
        ``evals_df`` is of its logs.
        """
        return runs_table(self)

    def _repr_html_(self) -> str:
        rows = len(self.items) if self.has_items else int(self.item_counts["count"].sum())
        summary = (f"<p><b>rescore Dataset</b>: {len(self.sources)} file(s) read, {len(self.skipped)} skipped, "
                   f"{rows} item row(s)</p>")
        return summary + self.runs.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.4f}")


def _is_documentation(path: Path) -> bool:
    name = path.name.lower()
    return path.suffix.lower() in (".md", ".txt", ".rst", ".py", ".sh", ".log", ".html") or name.startswith(_DOC_NAMES)


# why a walk passes over an entry that is not a regular file (issue 17: nothing is skipped in silence)
_NOT_REGULAR = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


@dataclass
class Walk:
    """Files met while walking the inputs, and what was passed over (with why).

    ``files``: ``(path, from_directory_walk)`` in a stable order. ``passed``: ``(path, reason)``
    for entries of a walked folder that are not read (dangling links, FIFOs, devices, unreadable
    entries under ``--on-error skip``, a file already met under another name).
    """

    files: list[tuple[Path, bool]] = field(default_factory=list)
    passed: list[tuple[str, str]] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)

    def add(self, path: Path, walked: bool) -> None:
        """Keep ``path`` unless the same file (by real path) was met already: read once, said once."""
        try:
            real = os.path.realpath(path)
        except (OSError, ValueError, TypeError):  # TypeError: a URL (rescore/read/remote.py) is its own name
            real = str(path)
        first = self.seen.get(real)
        if first is not None:
            said = "named twice" if first == str(path) else f"the same file as {first}"
            self.passed.append((str(path), f"already read ({said}; read once)"))
            return
        self.seen[real] = str(path)
        self.files.append((path, walked))


def _unreadable_entry(path: Path, what: str, exc: OSError, on_error: str, walk: Walk) -> None:
    """An entry of a walked folder that cannot be opened: an error naming it, or a skip with why."""
    reason = f"cannot read this {what} ({exc.strerror or exc})"
    if on_error != "skip":
        raise InputError(reason + "; --on-error skip passes over it", path=str(path))
    walk.passed.append((str(path), reason))


def _walk_folder(root: Path, on_error: str, walk: Walk) -> None:
    """Every regular file under ``root`` (hidden entries aside), sorted, in the order ``rglob`` gave.

    Unlike ``Path.rglob``, which silently drops a folder it cannot list, every entry that is not
    read is either an error naming it or recorded in ``walk.passed``. Symbolic links to files are
    followed; links to folders are not (a link cycle would never end), and say so.
    """
    found: list[tuple[Path, str | None]] = []  # (path, reason passed over or None)

    def visit(folder: Path) -> None:
        try:
            with os.scandir(folder) as entries:
                children = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            if folder == root:
                raise InputError(f"cannot read this folder ({exc.strerror or exc})", path=str(folder)) from None
            _unreadable_entry(folder, "folder", exc, on_error, walk)
            return
        for entry in children:
            if entry.name.startswith("."):
                continue
            child = Path(entry.path)
            try:
                if entry.is_symlink():
                    if not child.exists():
                        found.append((child, "a dangling symbolic link (its target does not exist)"))
                        continue
                    if child.is_dir():
                        found.append((child, "a symbolic link to a folder (not followed)"))
                        continue
                    mode = child.stat().st_mode
                elif entry.is_dir(follow_symlinks=False):
                    visit(child)
                    continue
                else:
                    mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                _unreadable_entry(child, "entry", exc, on_error, walk)
                continue
            kind = next((what for test, what in _NOT_REGULAR if test(mode)), None)
            if kind is not None:
                found.append((child, f"{kind}, not a regular file"))
            elif not os.access(child, os.R_OK):
                _unreadable_entry(child, "file", PermissionError(13, "permission denied"), on_error, walk)
            else:
                found.append((child, None))

    visit(root)
    for path, reason in sorted(found, key=lambda pair: pair[0]):
        if reason is None:
            walk.add(path, True)
        else:
            walk.passed.append((str(path), reason))


def walk_inputs(paths: Iterable[str | Path], on_error: str = "raise") -> Walk:
    """The files to consider, from files and folders named on the command line.

    A missing path is an error. The same file named twice, or named and also inside a named
    folder, is read once (by real path) and the repeat is recorded with the name it was read as.
    """
    walk = Walk()
    for raw in remote.expand_local(paths):  # file:// URLs become local paths
        if remote.is_url(raw):  # s3://, hf://, https://... (globs too): rescore/read/remote.py walks them
            for found, walked in remote.walk(raw):
                walk.add(found, walked)
            continue
        path = Path(raw)
        if path.is_dir():
            _walk_folder(path, on_error, walk)
        elif path.exists():
            walk.add(path, False)
        else:
            raise InputError("file not found", path=str(path))
    return walk


def iter_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, bool]]:
    """Yield ``(file, from_directory_walk)`` in a stable order; missing paths are errors."""
    yield from walk_inputs(paths).files


def plan(paths: Iterable[str | Path], options: LoadOptions) -> tuple[list[tuple[Path, Adapter]], list[tuple[str, str]]]:
    """Decide which adapter reads which file, and which files are skipped (with why).

    In a walked folder a file that no adapter recognises is skipped (a folder of results also
    holds notes, plots, editor backups); named on the command line it is an error, since the
    user meant it. ``--skip-unknown`` is kept as a no-op alias of the folder default.
    """
    chosen: list[tuple[Path, Adapter]] = []
    hinted = get_adapter(options.format_hint) if options.format_hint else None
    adapters = all_adapters()
    remote.configure(options.timeout)  # --timeout for the URLs walked and sniffed here
    walk = walk_inputs(paths, options.on_error)
    skipped: list[tuple[str, str]] = list(walk.passed)
    memo = None  # with --cache, what detection found for unchanged files is remembered (rescore/read/cache.py)
    if hinted is None and (folder := cache_folder(options.cache)) is not None:
        memo = DetectionMemo(folder)
    for path, walked in walk.files:
        unusable = _unusable_name(path)
        if unusable:
            if options.on_error != "skip":
                raise InputError(unusable, path=shown_path(path))
            skipped.append((shown_path(path), f"error: {unusable}"))
            continue
        if walked and _is_documentation(path):
            skipped.append((str(path), "documentation or script, not results"))
            continue
        reason = memo.skip_reason(path, adapters) if memo is not None else next(
            (r for a in adapters if (r := a.skip_reason(path))), None)
        if reason and hinted is None:
            skipped.append((str(path), reason))
            continue
        adapter = hinted or (memo.detect(path) if memo is not None else detect(path))
        if adapter is not None and walked and hinted is None:
            declined = getattr(adapter, "walk_skip_reason", None)
            why = None if declined is None else (memo.walk_skip_reason(path, options, declined) if memo is not None
                                                 else declined(path, options))
            if why:
                skipped.append((str(path), why))
                continue
        if adapter is None and (unreadable := _unreadable(path)):  # say why, not "no adapter recognises"
            if options.on_error != "skip":
                raise InputError(unreadable, path=str(path))
            skipped.append((str(path), f"error: {unreadable}"))
            continue
        if adapter is None:
            if walked:
                skipped.append((str(path), _unknown_reason(path)))
                continue
            raise InputError("no adapter recognises this file (use --format-hint NAME; see `rescore formats`)",
                             path=str(path))
        chosen.append((path, adapter))
    if memo is not None:
        memo.save()
    return chosen, skipped


def _unknown_reason(path: Path) -> str:
    """Why a walked file is passed over: its kind is its suffix, so one summary line per suffix.
    Editor backups (``run.jsonl~``, ``run.csv~``) are one kind whatever the suffix they back up."""
    if path.name.endswith("~"):
        return "no adapter recognises editor backups (name~)"
    suffix = path.suffix.lower() if path.suffix and len(path.suffix) <= 12 else ""
    return f"no adapter recognises {suffix} files" if suffix else "no adapter recognises files without a suffix"


def skip_kind(reason: str) -> str:
    """The kind of a skip: its reason up to the first ";" or " (" ("lm-eval results file; read
    with X" and "...; read with Y" are one kind), so a folder's skips summarise in a line per kind."""
    return reason.split(";", 1)[0].split(" (", 1)[0].strip()


def skipped_summary(skipped: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """One entry per kind of skip (in order of first appearance): its kind, how many files, the first."""
    kinds: dict[str, list[str]] = {}
    for path, reason in skipped:
        kinds.setdefault(skip_kind(reason), []).append(path)
    return [{"kind": kind, "files": len(paths), "first": paths[0]} for kind, paths in kinds.items()]


def shown_path(path: Path) -> str:
    """A path fit for a message: bytes that are not UTF-8 shown as ``\\xNN``."""
    import os

    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _unusable_name(path: Path) -> str | None:
    """A file name that is not UTF-8 cannot be written into a report (JSON, Parquet metadata) nor
    opened by Arrow: one named error (issue 17), or a skip with ``--on-error skip``."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return "file name is not valid UTF-8; rename the file"
    return None


def _unreadable(path: Path) -> str | None:
    """Why a regular file no adapter recognised cannot be read (permission denied, a damaged zip
    such as a truncated inspect_ai ``.eval``), or None when it is merely unknown."""
    import os
    import stat
    import zipfile

    if remote.is_remote(path):  # a URL's failures are raised where it is read (rescore/read/remote.py)
        return None
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with path.open("rb") as handle:
            head = handle.read(4)
        if path.suffix.lower() in (".eval", ".zip") or head == b"PK\x03\x04":
            with zipfile.ZipFile(path):
                return None
    except zipfile.BadZipFile as exc:
        return f"the zip archive is damaged or truncated ({exc})"
    except OSError as exc:
        return f"cannot read file ({(exc.strerror or str(exc)).lower()})"
    return None


def separate_runs(items: pd.DataFrame, latest: bool, notes: list[str]) -> pd.DataFrame:
    """Keep distinct runs of one (model, benchmark) apart: label them, or keep only the latest."""
    if items.empty or items["run"].isna().all():
        return items
    runs = items.dropna(subset=["run"]).groupby(["benchmark", "model"])["run"].unique()
    multi = runs[runs.map(len) > 1]
    if multi.empty:
        return items
    items = items.copy()
    for (benchmark, model), run_ids in multi.items():
        ordered = sorted(map(str, run_ids))
        mask = (items["benchmark"] == benchmark) & (items["model"] == model)
        if latest:
            keep = ordered[-1]
            # rows per run (a counts-mode table has a count per row): a partial rerun kept over a
            # full run changes what the board means, so say so
            sizes = (items.loc[mask].groupby("run")["count"].sum() if "count" in items
                     else items.loc[mask].groupby("run").size())
            items = items[~mask | (items["run"] == keep)]
            dropped = {r: int(sizes.get(r, 0)) for r in ordered[:-1]}
            larger = {r: n for r, n in dropped.items() if n > int(sizes.get(keep, 0))}
            smaller = ("; the kept run is smaller than the dropped " + ", ".join(
                f"{r} ({n} rows)" for r, n in larger.items()) + f": {int(sizes.get(keep, 0))} rows kept"
                if larger else "")
            notes.append(f"{model} on {benchmark}: {len(ordered)} runs found; kept the latest ({keep}) (--latest)"
                         + smaller)
        else:
            items.loc[mask, "model"] = items.loc[mask, "model"] + " [" + items.loc[mask, "run"] + "]"
            notes.append(f"{model} on {benchmark}: {len(ordered)} runs found ({', '.join(ordered)}); "
                         "shown separately (use --latest to keep only the newest)")
    return items.reset_index(drop=True)


def _benchmark_frames(result: FileResult) -> list[pd.DataFrame]:
    return [f for f in (result.items, result.item_counts, result.counts)
            if f is not None and not f.empty and "benchmark" in f]


def keep_apart(results: list[FileResult], notes: list[str]) -> list[FileResult]:
    """Do not pool what only shares a normalised name (issue 16, point 10).

    Two producers' files of one benchmark name (lm-eval's 30-item ``leaderboard_mmlu_pro`` slice
    and the official MMLU-Pro outputs) differ in prompts, extraction and items: each producer
    keeps its own benchmark, ``"<name> (<adapter>)"``. The variants of a benchmark that are
    overlapping item sets rather than parts of it (``overlapping_subsets`` in
    ``configs/names.yaml``: GPQA main/extended/diamond share questions) become benchmarks of their
    own, ``<name>_<variant>``, when more than one is present. Two *tasks* of one producer that
    normalise to one name (lm-eval's ``leaderboard_mmlu_pro`` and its ``mmlu_pro_*`` group; see
    ``SourceInfo.task_families``) are different prompts and item sets too: each becomes the
    benchmark named by its task family. A note says what was kept apart.
    """
    results = _keep_tasks_apart(results, notes)
    overlapping = {str(k): {str(v) for v in vs}
                   for k, vs in (load_config("names.yaml").get("overlapping_subsets") or {}).items()}
    adapters: dict[str, set[str]] = {}
    variants: dict[str, set[str]] = {}
    for result in results:
        if result.error is not None:
            continue
        for frame in _benchmark_frames(result):
            for bench in {str(b) for b in frame["benchmark"].dropna().unique()}:  # distinct first: no text per row
                adapters.setdefault(bench, set()).add(result.info.adapter)
                if bench in overlapping and "subset" in frame:
                    present = set(frame.loc[frame["benchmark"] == bench, "subset"].dropna().astype(str))
                    variants.setdefault(bench, set()).update(present & overlapping[bench])
    by_producer = {b for b, a in adapters.items() if len(a) > 1}
    by_variant = {b for b, v in variants.items() if len(v) > 1}
    if not by_producer and not by_variant:
        return results
    for bench in sorted(by_variant):
        names = ", ".join(f"{bench}_{v}" for v in sorted(variants[bench]))
        notes.append(f"{bench}: {', '.join(sorted(variants[bench]))} are overlapping item sets, not parts of one "
                     f"benchmark: kept apart as {names}")
    for bench in sorted(by_producer):
        names = ", ".join(f"'{bench} ({a})'" for a in sorted(adapters[bench]))
        notes.append(f"{bench}: read from {len(adapters[bench])} producers ({', '.join(sorted(adapters[bench]))}), "
                     f"whose prompts, answer extraction and item sets differ: kept apart as {names}")
    for result in results:
        if result.error is not None:
            continue
        for frame in _benchmark_frames(result):
            bench = frame["benchmark"].astype("string")
            new = bench.copy()
            if by_variant and "subset" in frame:
                hit = bench.isin(by_variant) & frame["subset"].astype("string").isin(
                    {v for b in by_variant for v in overlapping[b]})
                if hit.any():
                    new = new.where(~hit, bench + "_" + frame["subset"].astype("string"))
                    frame.loc[hit, "subset"] = ""
            split = bench.isin(by_producer)
            if split.any():
                new = new.where(~split, new + f" ({result.info.adapter})")
            frame["benchmark"] = new.astype(frame["benchmark"].dtype)
        result.info.benchmarks = sorted({str(b) for f in _benchmark_frames(result) for b in f["benchmark"].dropna()})
    return results


def _keep_tasks_apart(results: list[FileResult], notes: list[str]) -> list[FileResult]:
    """Rename a benchmark read from several task families of one producer to each family's name."""
    families: dict[tuple[str, str], set[str]] = {}
    for result in results:
        if result.error is None:
            for bench, by_subset in result.info.task_families.items():
                families.setdefault((bench, result.info.adapter), set()).update(by_subset.values())
    split = {key: names for key, names in families.items() if len(names) > 1}
    if not split:
        return results
    for (bench, adapter), names in sorted(split.items()):
        notes.append(f"{bench}: read from {len(names)} different {adapter} tasks ({', '.join(sorted(names))}), "
                     f"whose prompts and item sets differ: kept apart as {', '.join(sorted(names))}")
    for result in results:
        if result.error is not None:
            continue
        for bench, by_subset in result.info.task_families.items():
            if (bench, result.info.adapter) not in split:
                continue
            only = set(by_subset.values())
            for frame in _benchmark_frames(result):
                hit = frame["benchmark"].astype("string") == bench
                if not hit.any():
                    continue
                if len(only) == 1:  # one task in this file (an lm-eval samples file): all its rows
                    new = pd.Series(next(iter(only)), index=frame.index, dtype="string")
                else:  # a results file of several tasks: the subset its task name gave
                    subsets = frame["subset"].astype("string").fillna("") if "subset" in frame else (
                        pd.Series("", index=frame.index, dtype="string"))
                    named = {s: by_subset.get(str(s), bench) for s in subsets.unique()}  # once per subset
                    new = subsets.map(named).astype("string")
                frame["benchmark"] = frame["benchmark"].astype("string").where(~hit, new).astype(
                    frame["benchmark"].dtype)
        result.info.benchmarks = sorted({str(b) for f in _benchmark_frames(result) for b in f["benchmark"].dropna()})
    return results


def _merge_notes(per_note: dict[str, list[str]]) -> list[str]:
    """One line per distinct note, naming the file (or how many files) it applies to."""
    return [said_of_files(note, files) for note, files in per_note.items()]


def said_of_files(text: str, files: list[str]) -> str:
    """One line saying ``text`` of ``files``: "path: text", or "text (N files: first, ...)"."""
    return f"{files[0]}: {text}" if len(files) == 1 else f"{text} ({len(files)} files: {files[0]}, ...)"


def assemble(results: Iterable[FileResult], skipped: list[tuple[str, str]], options: LoadOptions,
             compute_keys: Any = None) -> Dataset:
    """Merge per-file results (in plan order) into one validated :class:`Dataset`.

    ``compute_keys``: where deferred key hashes are computed if files overlap (see
    :func:`rescore.read.counts.check_cross_file_duplicates`); by default, here.
    """
    items: list[pd.DataFrame] = []
    counts: list[pd.DataFrame] = []
    sources: list[SourceInfo] = []
    notes: list[str] = []
    per_note: dict[str, list[str]] = {}
    counted: list[FileResult] = []
    results = keep_apart(list(results), notes)
    for result in results:
        if result.error is not None:
            skipped.append((result.info.path, f"error: {result.error}"))
            continue
        if result.item_counts is not None:
            counted.append(result)
            if "run" in result.item_counts:
                result.info.runs = sorted(str(r) for r in result.item_counts["run"].dropna().unique())
        items.append(result.items)
        if not result.counts.empty:
            counts.append(result.counts)
        sources.append(result.info)
        for note in result.info.notes:
            per_note.setdefault(note, []).append(result.info.path)
    notes.extend(_merge_notes(per_note))
    table = schema.concat(items)
    table = separate_runs(table, options.latest, notes)
    # categories first: the key check then reads their codes instead of hashing the strings again
    table = _validated(schema.compact(table), sources, skipped, options)
    item_counts = counting.empty_item_counts()
    if counted:
        counting.check_cross_file_duplicates(counted, compute_keys)
        item_counts = counting.merge([r.item_counts for r in counted])
        item_counts = separate_runs(item_counts, options.latest, notes)
    count_table = pd.concat(counts, ignore_index=True) if counts else empty_counts()
    if not count_table.empty:
        if "subset" not in count_table:
            count_table["subset"] = ""
        count_table["subset"] = count_table["subset"].fillna("")
    return Dataset(items=table, counts=count_table, sources=sources, skipped=skipped, notes=notes,
                   item_counts=item_counts)


def _validated(table: pd.DataFrame, sources: list[SourceInfo], skipped: list[tuple[str, str]],
               options: LoadOptions) -> pd.DataFrame:
    """The item table, validated; a key repeated inside one file is reported as counts mode does.

    The table only knows item ids, not lines, so on that (rare) error the file is counted again
    by the general reader, whose per-file check names the line or record of the repeat. Checking
    every file that way while reading would cost a second hashing of every key (about 0.3 s per
    million items) to speed up an error. With ``--on-error skip`` the file is skipped instead, as
    in counts mode. A repeat across files keeps the table's message, which names both files, and
    so does a file that cannot be read again here (a Dask worker's path the client cannot see).
    """
    while True:
        try:
            return schema.validate(table)
        except InputError as exc:
            if exc.field != "item_id":
                raise
            source = _source_repeating_a_key(table)
            info = next((s for s in sources if s.path == source), None)
            if info is None or not info.adapter:
                raise
            try:
                general_key_hashes(remote.as_path(info.path), info.adapter, options)
            except InputError as precise:
                if precise.field != "item_id":  # not the repeat (the file is gone, or unreadable here)
                    raise exc from None
                if options.on_error != "skip":
                    raise precise from None
                skipped.append((info.path, f"error: {precise.reason}"))
                sources.remove(info)
                table = schema.without_unused_categories(table[table["source"] != info.path].reset_index(drop=True))
                continue
            raise


def _source_repeating_a_key(table: pd.DataFrame) -> str | None:
    """A file in which some item key repeats (the error path only: two passes over the table)."""
    repeated = table.loc[table.duplicated(list(schema.KEY_COLUMNS), keep=False)]
    inside = repeated.duplicated([*schema.KEY_COLUMNS, "source"], keep=False)
    return str(repeated.loc[inside, "source"].iloc[0]) if inside.any() else None


_RUN_KEYS = ["benchmark", "model", "run"]


def _outcome_wide(long: pd.DataFrame, keys: list[str], weight: str | None) -> pd.DataFrame:
    """``n_<outcome>`` columns per key from a long table of outcomes (rows, or rows with counts)."""
    values = long[weight] if weight else pd.Series(1, index=long.index)
    frame = long[[*keys, "outcome"]].astype("object").assign(n=values.to_numpy())
    wide = frame.groupby([*keys, "outcome"], dropna=False, sort=True)["n"].sum().unstack("outcome", fill_value=0)
    wide.columns.name = None
    for outcome in schema.OUTCOMES:
        if outcome not in wide.columns:
            wide[outcome] = 0
    wide = wide[list(schema.OUTCOMES)].astype("int64").add_prefix("n_")
    wide.insert(0, "items", wide.sum(axis=1))
    return wide.reset_index()


def _run_model(model: Any, run: Any) -> Any:
    """The model's own name for a run that :func:`separate_runs` labelled ``"model [run]"``."""
    if isinstance(model, str) and isinstance(run, str) and model.endswith(f" [{run}]"):
        return model[: -len(run) - 3]
    return model


def runs_table(data: Dataset) -> pd.DataFrame:
    """:attr:`Dataset.runs`: item rows (or counts-mode counts, or counts-only aggregates) per run."""
    producer = {s.path: s.adapter for s in data.sources}
    parts = []
    if len(data.items):
        wide = _outcome_wide(data.items.rename(columns={"source": "path"}), ["path", *_RUN_KEYS], None)
        parts.append(wide)
    elif len(data.item_counts):
        wide = _outcome_wide(data.item_counts, _RUN_KEYS, "count")
        owners: dict[tuple[Any, Any], list[str]] = {}
        for source in data.sources:  # counts mode keeps no path per row: the file that read the pair
            for model in source.models:
                for benchmark in source.benchmarks:
                    owners.setdefault((benchmark, model), []).append(source.path)
                    for run in source.runs:  # a model's runs shown apart are "model [run]" (separate_runs)
                        owners.setdefault((benchmark, f"{model} [{run}]"), []).append(source.path)
        wide.insert(0, "path", [", ".join(owners.get((b, m), [])) or pd.NA
                                for b, m in zip(wide["benchmark"], wide["model"], strict=True)])
        parts.append(wide)
    if len(data.counts):
        aggregate = data.counts.rename(columns={"source": "path"}).assign(run=pd.NA)
        aggregate = aggregate.groupby(["path", *_RUN_KEYS], dropna=False, sort=True)[list(COUNT_COLUMNS)].sum()
        aggregate = aggregate.reset_index()
        aggregate.insert(4, "items", aggregate[list(COUNT_COLUMNS)].sum(axis=1))
        parts.append(aggregate)
    columns = ["path", "producer", *_RUN_KEYS, "items", *COUNT_COLUMNS, "producer_accuracy", "producer_label"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    runs = pd.concat(parts, ignore_index=True)
    runs.insert(1, "producer", runs["path"].map(lambda p: producer.get(p, pd.NA) if isinstance(p, str) else pd.NA))
    said: dict[tuple[Any, ...], tuple[Any, Any]] = {}
    for source in data.sources:  # the producer's own aggregate, from the file that holds the run first
        for aggregate in source.producer_metrics.get("aggregates", []):
            value = (aggregate.get("accuracy"), aggregate.get("label"))
            said.setdefault((source.path, aggregate.get("benchmark"), aggregate.get("model")), value)
            said.setdefault((aggregate.get("benchmark"), aggregate.get("model")), value)
    base = [_run_model(m, r) for m, r in zip(runs["model"], runs["run"], strict=True)]
    found = [said.get((p, b, m)) or said.get((b, m)) or (None, None)
             for p, b, m in zip(runs["path"], runs["benchmark"], base, strict=True)]
    runs["producer_accuracy"] = [accuracy for accuracy, _ in found]
    runs["producer_label"] = [label for _, label in found]
    runs["producer_accuracy"] = pd.to_numeric(runs["producer_accuracy"], errors="coerce")
    return runs[columns].sort_values(["benchmark", "model", "path"], kind="stable").reset_index(drop=True)
