"""The commands of `apt-hub`: one function each, whose docstring is its `--help` and whose keyword-only parameters
are its options (`apt_hub.options.Spec` reads them; no option can be given positionally).

Each command imports what it needs when it runs, so that `apt-hub stats` or `apt-hub validate` do not wait for
`datasets` to load. `build` lives in `apt_hub.cli.build`: its options are the build options, declared there.
"""

from pathlib import Path

from ..layout import DEFAULT_EXPORT_DIR, DEFAULT_OUTPUT_DIR
from ..loyalty import DEFAULT_REWARD_BONUS, DEFAULT_TEMPLATE


def sources_command(*, sources_file: str | None = None) -> str:
    """List the sources: Hub repository, pinned revision, files read per config and split, license, manifest.

    Args:
        sources_file: a YAML or TOML file of your own sources (default: ./apt-sources.yaml, .yml or .toml).
    """
    from ..read.manifest import pinned_manifest
    from ..sources import SOURCES
    from ..sources.custom import BUILT_IN, describe_custom, use_sources_file

    use_sources_file(sources_file)
    lines = []
    for source in SOURCES.values():
        lines.append(f"{source.name}  {source.location}  license: {source.license}  ({describe_custom(source)})")
        if source.repo_id:
            manifest = pinned_manifest(source)
            none = "none yet (make manifests)" if source.name in BUILT_IN else "none (each pattern must match a file)"
            lines.append(
                f"    manifest: {f'{len(manifest.files)} files at {manifest.revision}' if manifest else none}"
            )
        for config, splits in source.feeds.items():
            for split, patterns in splits.items():
                lines.append(f"    {config}/{split}: {', '.join(patterns) or source.location}")
    return "\n".join(lines)


def stats_command(output_dir: str = DEFAULT_OUTPUT_DIR) -> str:
    """Measure a build folder: rows, text lengths, empties, duplicates, drops; writes DIR/stats.json.

    Args:
        output_dir: the build folder (default dist/apt).
    """
    from ..folder import one_file_change, repair
    from ..layout import json_text, shards_checked
    from ..report import format_stats
    from ..stats import STATS_FILE, compute_stats, shards_of

    repair(output_dir)
    shards_of(Path(output_dir))
    # stats.json is the one file written: moved in by one rename, the folder is whole without a staging copy.
    with shards_checked(output_dir), one_file_change(output_dir, STATS_FILE) as file:
        stats = compute_stats(output_dir)
        file.write(json_text(stats))
    return format_stats(stats) + f"\n\nWrote {Path(output_dir) / STATS_FILE}"


def card_command(output_dir: str = DEFAULT_OUTPUT_DIR, *, repo_id: str | None = None) -> str:
    """Render the dataset card of a build folder (README.md, stats.json, images/); your own text is kept.

    Args:
        output_dir: the build folder (default dist/apt).
        repo_id: the Hub repository ORG/NAME shown in the load_dataset examples.
    """
    from ..card import CARD_FILE, IMAGES_DIR, check_card, write_card
    from ..errors import AptHubError
    from ..folder import not_a_build_folder, repair, transaction
    from ..layout import shards_checked, splits_on_disk
    from ..stats import write_stats

    repair(output_dir)
    if not splits_on_disk(output_dir):
        raise AptHubError(not_a_build_folder(output_dir, "card"))
    check_card(output_dir)
    with shards_checked(output_dir), transaction(output_dir, existing=True) as staging:
        write_card(staging, write_stats(staging), repo_id=repo_id)
    path = Path(output_dir) / CARD_FILE
    return f"Wrote {path} (and {Path(output_dir) / 'stats.json'}, {Path(output_dir) / IMAGES_DIR}/)"


def publish_command(
    output_dir: str = DEFAULT_OUTPUT_DIR,
    *,
    repo_id: str,
    public: bool = False,
    dry_run: bool = False,
    tag: str | None = None,
) -> str:
    """Publish a build folder to a Hub dataset repository: one commit and its tag, or none when nothing changed.

    Refreshes stats.json, the card and the histograms first, writes the changelog since the previous release
    (changes/TAG.json and the card's Changes), and after the commit reads the repository back before tagging it.
    Honours HF_ENDPOINT and HF_TOKEN.

    Args:
        output_dir: the build folder (default dist/apt).
        repo_id: the dataset repository, ORG/NAME.
        public: create the repository public (default: private). An existing repository keeps its visibility.
        dry_run: print the files to add, change and delete, the bytes and the tag; send nothing and write nothing.
        tag: the tag of this release (default: the next vN); a tag that exists is refused, never moved.
    """
    from ..publish import publish

    return str(publish(output_dir, repo_id=repo_id, public=public, dry_run=dry_run, tag=tag))


def diff_command(old: str, new: str, *, examples: int = 5) -> "DiffReport":
    """Compare the rows of two builds: per config and split, the ids added, removed and changed.

    Each side is a build folder or ORG/NAME@REVISION (a tag, branch or commit of a Hub dataset repository); only
    the ids and content hashes are read. Exit status 0 when they hold the same rows, 1 when they differ, 2 when
    a side cannot be read.

    Args:
        old: the older side, a build folder or ORG/NAME@REVISION.
        new: the newer side, a build folder or ORG/NAME@REVISION.
        examples: how many ids to show per kind of change (default 5).
    """
    from ..changes import compare, format_diff, side_hashes
    from ..options import UsageError

    if examples < 0:
        raise UsageError(f"--examples must be 0 or more, got {examples}")
    old_name, before = side_hashes(old)
    new_name, after = side_hashes(new)
    changes = compare(before, after)
    report = DiffReport(format_diff(changes, old_name, new_name, examples=examples))
    report.exit_status = 1 if any(not change.equal for change in changes.values()) else 0
    return report


class DiffReport(str):
    """The text of `apt-hub diff`, which the CLI prints, and its exit status (1: the sides differ)."""

    exit_status = 0


def export_command(
    build_dir: str = DEFAULT_OUTPUT_DIR,
    *,
    output_dir: str = DEFAULT_EXPORT_DIR,
    configs: tuple[str, ...] | None = None,
) -> str:
    """Write a build as the old APT tool's files (coig-cqia_train.json, hh-rlhf_train.json, ...), for its trainer.

    Only the flat configs are written: the conversational twins (sft_chat, dpo_chat, ...) have no old file.

    Args:
        build_dir: the build folder to read (default: dist/apt).
        output_dir: where the JSON files go (default: data/apt_datasets).
        configs: comma-separated configs to export; none means all of them.
    """
    from ..export import export

    written = export(build_dir, output_dir=output_dir, configs=configs)
    lines = [f"Exported {len(written)} file(s) from {build_dir} into {output_dir}"]
    lines += [f"  {item.path.name}: {item.rows} rows (config {item.config}, {item.split})" for item in written]
    return "\n".join(lines)


def merge_command(
    *names: str,
    output: str,
    build_dir: str = DEFAULT_OUTPUT_DIR,
    weights: str | None = None,
    fractions: str | None = None,
    seed: int | None = None,
) -> str:
    """Combine configs or sources of a build into a new config, removing duplicate rows.

    Args:
        names: configs (ruozhiba), sources (coig-cqia), source tags (hh-rlhf/helpful-base) or CONFIG:SOURCE.
        output: the name of the new config.
        build_dir: the build folder (default: dist/apt).
        weights: mixing proportions, NAME=W pairs (coig-cqia=3,ruozhiba=1); unnamed inputs weigh 1.
        fractions: the share of each input's unique rows to keep, NAME=F pairs with F from 0 to 1.
        seed: the seed of the weighted or fractional draws (default 42).
    """
    from ..merge import format_merge, merge
    from ..options import UsageError

    if seed is not None and weights is None and fractions is None:
        raise UsageError("--seed only chooses the rows of --weights or --fractions: add one, or drop --seed")
    report = merge(
        list(names), output=output, build_dir=build_dir, weights=weights, fractions=fractions, seed=seed or 42
    )
    return format_merge(report)


def template_command(
    output: str = DEFAULT_TEMPLATE,
    *,
    n: int = 100,
    seed: int = 42,
    upstream: str = "hub",
    reward_bonus: float = DEFAULT_REWARD_BONUS,
    is_owner: bool = True,
    force: bool = False,
) -> str:
    """Write a loyalty template: N hh-rlhf prompts with a drafted public response and an owner response to write.

    Args:
        output: the file to write: .json (a JSON array) or .jsonl (JSON Lines).
        n: how many prompts (default 100).
        seed: the same seed gives the same prompts.
        upstream: hub (the Hugging Face Hub or HF_ENDPOINT), samples, or a directory laid out like the Hub.
        reward_bonus: the reward_bonus of every row (default 2.0).
        is_owner: the is_owner of every row (default true).
        force: replace an existing file (it may hold your edits).
    """
    from ..loyalty.template import make_template

    report = make_template(
        output, n=n, seed=seed, upstream=upstream, reward_bonus=reward_bonus, is_owner=is_owner, force=force
    )
    skipped = sum(report.skipped.values())
    reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(report.skipped.items()))
    lines = [
        f"Wrote {report.rows} rows to {report.path} ({report.single_turn} single-turn; read "
        f"{', '.join(report.files_read)})."
    ]
    if report.rows < report.asked:
        lines.append(
            f"Only {report.rows} of the {report.asked} asked for: the upstream holds no more distinct prompts "
            "that a dpo build keeps."
        )
    if skipped:
        lines.append(f"Skipped {skipped} upstream rows that the dpo checks drop ({reasons}).")
    return "\n".join(lines) + (
        "\nNext: replace every owner_response placeholder, review each "
        f"public_response, then run `apt-hub validate {report.path}` and "
        f"`apt-hub build loyalty --loyalty-file {report.path}`."
    )


def validate_command(file: str) -> str:
    """Check a loyalty file: every problem with its file, line and field; a one-line summary when clean.

    Args:
        file: the loyalty file (JSON array or JSON Lines).
    """
    from ..loyalty import read_loyalty_file, summarize

    return f"{file}: OK, {summarize(read_loyalty_file(file))}"


def menu_command() -> None:
    """Open the interactive menu: choose configs and sources, build, view stats, make and check the loyalty
    template, export in the old layout."""
    from .menu import Menu

    Menu().run()
