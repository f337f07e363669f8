"""`apt-hub export`: a build written in the layout of the old APT data tooling, one JSON file per source.

The old tool wrote `data/apt_datasets/<name>_<split>.json`, each a pretty-printed JSON array with UTF-8 left
unescaped, in the fields of its training stage. The APT trainer reads those files, so they keep exactly the old
fields and nothing else:

| file | config | fields |
|---|---|---|
| `coig-cqia_<split>.json` (and any source of `sft`) | `sft` | prompt, response, source |
| `ruozhiba_<split>.json` | `ruozhiba` | prompt, response, source |
| `hh-rlhf_<split>.json`, `ultrafeedback_<split>.json` | `dpo` | prompt, chosen, rejected, source |
| `s1k_<split>.json` | `storm` | problem, cot_explicit, answer, source |
| the source's `export_file` (`loyalty_template.json`) | a config one such source feeds | the fields of its stage |
| `<config>_<split>.json` | a merged config | the fields of its stage |
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .chat import is_message_list
from .configs import CONFIGS, Export, of_schema
from .errors import AptHubError, check_choice
from .folder import not_a_build_folder, repair, replacing_file, transaction
from .layout import (
    DEFAULT_EXPORT_DIR,
    DEFAULT_OUTPUT_DIR,
    RECORD,
    config_schema,
    read_config,
    shards_checked,
    splits_on_disk,
)
from .progress import bar
from .sources import sources_for


@dataclass(frozen=True)
class ExportedFile:
    """One file written by `export`: its path, the config and split it comes from, and its number of rows."""

    path: Path
    config: str
    split: str
    rows: int


def export(
    build_dir: str | Path = DEFAULT_OUTPUT_DIR,
    *,
    output_dir: str | Path = DEFAULT_EXPORT_DIR,
    configs: Iterable[str] | None = None,
) -> list[ExportedFile]:
    """Write the configs of a build as the old APT tool's JSON files, one JSON array per source and split.

    The output folder changes as one transaction, as a build folder does (`apt_hub.folder.transaction`): the new
    files are written into a copy of it, which replaces it in one step, so a reader (the trainer) finds every old
    file or every new one, never a mix, and a failed or killed export leaves the folder as it was. Files of the
    output folder that this export does not write are kept. Every file name is worked out before the first is
    written: two configs that would write one file (a merged config named like a source) are refused.

    Args:
        build_dir: the build folder (`apt-hub build --build-dir`).
        output_dir: where the JSON files go.
        configs: the configs to export; none means every config of the build.

    Returns:
        The files written, in order.

    Raises:
        AptHubError: `build_dir` is not a build folder, a named config is not in it, two configs map to one
            file, or `output_dir` lies inside the build folder or holds it.
        FolderError: `output_dir` is a file, the current folder or one of its parents, or another process is
            writing it.

    Example:
        >>> export("dist/apt", output_dir="data/apt_datasets")  # doctest: +SKIP
        [ExportedFile(path=PosixPath('data/apt_datasets/coig-cqia_train.json'), config='sft', split='train', ...)]
    """
    repair(build_dir)
    with shards_checked(build_dir):
        on_disk = _configs_on_disk(build_dir, configs)
        _check_export_dir(build_dir, output_dir)
        jobs = [(config, split) for config, splits in on_disk.items() for split in sorted(splits)]
        exports = {job: export_of(build_dir, *job) for job in jobs}
        _check_file_names(build_dir, output_dir, jobs, exports)
        written = []
        with transaction(output_dir, any_folder=True) as staging:
            for config, split in bar(jobs, desc="Exporting", unit="split"):
                fields = list(exports[config, split].fields)
                table = read_config(build_dir, config, split, columns=[*fields, "id"])
                for stem, part in _parts(config, table, exports[config, split]):
                    name = _file_name(config, stem, split)
                    write_json_array(staging / name, part.select(fields))
                    written.append(ExportedFile(Path(output_dir) / name, config, split, part.num_rows))
    return written


def export_of(build_dir: str | Path, config: str, split: str) -> Export:
    """The old files of a config of a build: as it declares them, or for a merged config those of the config
    whose columns it has, one file per config."""
    if config in CONFIGS and (declared := CONFIGS[config].export) is not None:
        return declared
    schema = config_schema(build_dir, config, split)
    names = schema.names
    found = of_schema(schema)
    if found is None or found.export is None:
        raise AptHubError(f"Config {config!r} of {build_dir} has columns {names}: no stage fits.")
    return Export(fields=found.export.fields, per_source=False)


def _check_export_dir(build_dir: str | Path, output_dir: str | Path) -> None:
    """Refuse an output folder inside the build folder, which only a build transaction may change, or holding it."""
    build, out = Path(build_dir).resolve(), Path(output_dir).resolve()
    if out == build or build in out.parents:
        raise AptHubError(f"--output-dir {output_dir} is inside the build folder {build_dir}; choose another folder.")
    if out in build.parents:  # replaced in one step, it would take the build folder along
        raise AptHubError(f"--output-dir {output_dir} holds the build folder {build_dir}; choose another folder.")


def _check_file_names(
    build_dir: str | Path, output_dir: str | Path, jobs: list[tuple[str, str]], exports: dict[tuple[str, str], Export]
) -> None:
    """Refuse an export where two configs would write the same file: the second would replace the first's rows."""
    owners: dict[Path, str] = {}
    for config, split in jobs:
        table = read_config(build_dir, config, split, columns=["id"])
        for stem in _stems(config, table, exports[config, split]):
            path = Path(output_dir) / _file_name(config, stem, split)
            if owners.setdefault(path, config) != config:
                raise AptHubError(
                    f"Configs {owners[path]!r} and {config!r} of {build_dir} would both write {path}; export one "
                    "of them (--configs), or merge again under a name that is not a source's."
                )


def _configs_on_disk(build_dir: str | Path, configs: Iterable[str] | None) -> dict[str, dict[str, list[str]]]:
    if not (Path(build_dir) / RECORD).is_file():
        raise AptHubError(not_a_build_folder(build_dir, "export"))
    # The conversational configs are for other trainers: the old layout holds the flat ones only.
    found = splits_on_disk(build_dir)
    on_disk = {name: splits for name, splits in found.items() if not _conversational(build_dir, splits)}
    if configs is None:
        return on_disk
    names = [configs] if isinstance(configs, str) else list(configs)
    names = [name.strip() for value in names for name in str(value).split(",") if name.strip()]
    for name in names:
        if name in found and name not in on_disk:
            raise AptHubError(f"Config {name!r} holds chat messages, which the old layout has no file for.")
        if name not in on_disk:
            check_choice(name, sorted(on_disk), f"a config of {build_dir}")
    return {name: on_disk[name] for name in names}


def _file_name(config: str, stem: str, split: str) -> str:
    """`<stem>_<split>.json`, or the old name of the train rows of a config one source alone feeds."""
    named = [source.export_file for source in sources_for(config) if source.export_file]
    return named[0] if named and stem == config and split == "train" else f"{stem}_{split}.json"


def _parts(config: str, table: pa.Table, export: Export) -> Iterable[tuple[str, pa.Table]]:
    """The file stems and rows of one config split: one part per source for `sft`, `dpo` and `storm`."""
    if not export.per_source:
        yield config, table
        return
    names = _source_names(table)
    for name in dict.fromkeys(names.to_pylist()):
        yield name, table.filter(pc.equal(names, name))


def _stems(config: str, table: pa.Table, export: Export) -> list[str]:
    """The file stems of one config split, from its `id` column alone."""
    return list(dict.fromkeys(_source_names(table).to_pylist())) if export.per_source else [config]


def _source_names(table: pa.Table) -> pa.ChunkedArray:
    return pc.list_element(pc.split_pattern(table.column("id"), ":", max_splits=1), 0)


def write_json_array(path: str | Path, table: pa.Table, *, batch_rows: int = 2_000) -> None:
    """Write the rows of `table` as the old tool did, `json.dump(rows, f, ensure_ascii=False, indent=2)`, the
    same bytes, but a batch at a time, and replace the file atomically."""
    with replacing_file(path) as file:
        _dump_rows(file, table, batch_rows)


def _dump_rows(file, table: pa.Table, batch_rows: int) -> None:
    if table.num_rows == 0:
        file.write("[]")
        return
    separator = "[\n  "
    for batch in table.to_batches(max_chunksize=batch_rows):
        for row in batch.to_pylist():
            # JSON strings hold no raw newline, so indenting every line nests the row as json.dump does.
            file.write(separator + json.dumps(row, ensure_ascii=False, indent=2).replace("\n", "\n  "))
            separator = ",\n  "
    file.write("\n]")


def _conversational(build_dir: str | Path, splits: dict[str, list[str]]) -> bool:
    """Whether a config holds message lists (a conversational twin, or a merge of twins)."""
    schema = pq.read_schema(Path(build_dir) / next(iter(splits.values()))[0])
    return any(is_message_list(field.type) for field in schema)
