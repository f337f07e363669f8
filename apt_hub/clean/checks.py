"""Named quality checks: what each catches and whether it drops or flags by default; each config names the checks
that look at its rows (`apt_hub.configs.base.Config.checks`).

A check either drops a row (counted as `dropped_<check>`) or keeps it with the check's name in the row's
`quality_flags` list (counted as `flagged_<check>`), by one rule (`decide`). `--drop CHECK` and `--keep CHECK` move
a check from one side to the other. Row checks are one Arrow kernel each over whole columns and run where rows are
converted (in the worker processes, where polars must not run: it deadlocks in a forked process); a source's
mapper sets its own (`empty_box`); split checks (`duplicate`, `duplicate_prompt`, `test_overlap`, `contaminated`,
`prefix_pair`) need a whole split or the duplicate rule and run once the split is converted
(`apt_hub.clean.dedup`).
"""

import functools
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ..configs import FLAT, Config
from ..errors import UsageError, check_choice
from ..sources.base import whitespace


@dataclass(frozen=True)
class Check:
    """One named quality check: one columnar test, one default, counted in one place (`RowScreen`, `dedup`).

    Args:
        name: the name in `quality_flags`, in `dropped_<name>` / `flagged_<name>` counts and in `--drop`/`--keep`.
        drops: whether a row it catches is dropped by default (else kept and flagged).
        catches: what it catches, in one sentence, for the docs and the card.
        test: for a row check, which rows of a table of unified rows it catches, over whole Arrow columns (a table
            of one row included); `None` for a check a source's row mapper sets in `quality_flags` (`mapper`) or
            one that needs a whole split (`split`, `apt_hub.clean.dedup`).
        kind: `row`, `mapper` or `split`.

    The configs a check looks at are declared by each config (`apt_hub.configs.base.Config.checks`).
    """

    name: str
    drops: bool
    catches: str
    test: Callable[[pa.Table], pa.ChunkedArray | pa.Array] | None = None
    kind: str = "row"


@functools.cache
def _role_prefix_pattern() -> str:
    """`^\\s*(Human|Assistant):` for RE2 (Arrow's regular expressions): its `\\s` spelled as Python's white space."""
    spaces = "".join(f"\\x{{{ord(c):x}}}" for c in whitespace())
    return f"^[{spaces}]*(Human|Assistant):"


def _any_text(table: pa.Table, fields: tuple[str, ...], test: Callable[[pa.ChunkedArray], pa.ChunkedArray]):
    found = test(table[fields[0]])
    for field in fields[1:]:
        found = pc.or_(found, test(table[field]))
    return found


def _holds(pattern: str) -> Callable[[pa.ChunkedArray], pa.ChunkedArray]:
    """A test of whether each text holds a regular expression (RE2; a plain search is 15x slower in Arrow)."""
    return lambda texts: pc.match_substring_regex(texts, pattern)


def response_role_prefix(table: pa.Table) -> pa.ChunkedArray:
    """A preference response that opens with a role marker, the turn of someone else (hh-rlhf): `\\s*Human:` or
    `\\s*Assistant:` at the start of `chosen` or `rejected`.

    >>> pairs = pa.table({"chosen": [" Human: and you?", "Sure."], "rejected": ["No.", "No."]})
    >>> response_role_prefix(pairs).to_pylist()
    [True, False]
    """
    return _any_text(table, ("chosen", "rejected"), _holds(_role_prefix_pattern()))


def response_extra_turn(table: pa.Table) -> pa.ChunkedArray:
    """A preference response that goes on with a further turn (hh-rlhf): `\\n\\nHuman:` or `\\n\\nAssistant:` in
    `chosen` or `rejected`."""
    return _any_text(table, ("chosen", "rejected"), _holds("\n\n(?:Human|Assistant):"))


def prompt_role_artefact(table: pa.Table) -> pa.ChunkedArray:
    """A prompt whose transcript holds an empty assistant turn, `Assistant: Human:` (hh-rlhf)."""
    return _holds("Assistant: Human:")(table["prompt"])


def short_response(table: pa.Table) -> pa.ChunkedArray:
    """A response of at most one character once trimmed, such as a bare `是`."""
    return pc.less_equal(pc.utf8_length(pc.utf8_trim(table["response"], whitespace())), 1)


def graded_wrong(table: pa.Table) -> pa.ChunkedArray:
    """A storm row whose chosen attempt was graded wrong upstream (`grade` is `No`)."""
    return pc.equal(table["grade"], "No")


CHECKS: dict[str, Check] = {
    check.name: check
    for check in (
        Check(
            "response_role_prefix",
            True,
            "a chosen or rejected response that begins with `Human:` or `Assistant:`",
            response_role_prefix,
        ),
        Check(
            "response_extra_turn",
            True,
            "a chosen or rejected response that goes on with a further `\\n\\nHuman:` or `\\n\\nAssistant:` turn",
            response_extra_turn,
        ),
        Check(
            "prompt_role_artefact",
            False,
            "a prompt holding an empty assistant turn (`Assistant: Human:`)",
            prompt_role_artefact,
        ),
        Check("prefix_pair", False, "one response (normalised) begins with the whole other one", kind="split"),
        Check("short_response", False, "a response of one character or none", short_response),
        Check("empty_box", False, "an empty `\\boxed{}` passed over to find the answer", kind="mapper"),
        Check("several_boxes", False, "several different boxed answers; the last is `answer`", kind="mapper"),
        Check("graded_wrong", False, "the chosen attempt was graded wrong upstream", graded_wrong),
        Check("duplicate", True, "a row whose texts repeat an earlier row of the split (normalised)", kind="split"),
        Check(
            "duplicate_prompt",
            False,
            "a prompt that repeats an earlier prompt of the split with a different answer",
            kind="split",
        ),
        Check(
            "test_overlap", True, "a train row whose prompt (normalised) is a prompt of the test split", kind="split"
        ),
        Check("contaminated", True, "a prompt sharing an n-gram with a `--decontaminate` benchmark", kind="split"),
    )
}


def dropped_checks(drop: Iterable[str] = (), keep: Iterable[str] = ()) -> frozenset[str]:
    """The checks that drop, after `--drop` and `--keep` moved some.

    Raises:
        UsageError: an unknown check name, or one given to both.
    """
    drop, keep = set(drop), set(keep)
    for name in sorted(drop | keep):
        check_choice(name, CHECKS, "a quality check")
    if drop & keep:
        raise UsageError(f"A check given to both --drop and --keep: {', '.join(sorted(drop & keep))}")
    return frozenset(name for name, check in CHECKS.items() if (check.drops or name in drop) and name not in keep)


_LEADING_BLANK_LINES = re.compile(r"\A[^\S\n]*\n(?:[^\S\n]*\n)*")
_INDENTED_LINE = re.compile(r"\n[ \t]")


def trim(text: str) -> str:
    """Outer white space removed, but the indentation of code: trailing white space and leading blank lines go;
    the spaces that open the first line go only when no later line is indented.

    >>> trim("  \\n\\n  x = 1\\n  y = 2\\n\\n"), trim("  是的 \\n")
    ('  x = 1\\n  y = 2', '是的')
    """
    text = text.rstrip()
    if not text[:1].isspace():  # most texts: no blank line or indentation to weigh at the start
        return text
    text = _LEADING_BLANK_LINES.sub("", text)
    return text if _INDENTED_LINE.search(text) else text.lstrip()


def decide(caught: Iterable[str], dropping: frozenset[str]) -> tuple[str | None, list[str]]:
    """The one rule of every check: a row caught by checks, in order (its mapper's flags, then the row checks, then
    the split checks), is dropped by the first of them that drops, else kept with all of them as flags.

    >>> decide(["graded_wrong", "duplicate_prompt"], frozenset({"duplicate"}))
    (None, ['graded_wrong', 'duplicate_prompt'])
    >>> decide(["prefix_pair", "duplicate"], frozenset({"duplicate"}))
    ('duplicate', ['prefix_pair', 'duplicate'])
    """
    flags = list(caught)
    return next((name for name in flags if name in dropping), None), flags


class RowScreen:
    """The row checks of one config over tables of unified rows, with what does not change from table to table
    worked out once: its row checks, and the fields it trims.

    Args:
        config: the flat config whose rows are screened.
        dropping: the checks that drop (`dropped_checks`, `BuildOptions.dropping`).
    """

    def __init__(self, config: Config, dropping: frozenset[str]):
        self.dropping = dropping
        self.checks = tuple(
            (c.name, c.test) for c in CHECKS.values() if c.test is not None and c.name in config.checks
        )
        self.trimmed = config.trimmed

    def __call__(self, table: pa.Table, counter: Counter) -> tuple[pa.Table, pa.Array]:
        """The kept rows of a table, flagged and trimmed, and which rows were kept; drops and trims are counted.

        Every check runs over whole columns; only the rows a check catches or whose mapper set flags are decided
        one at a time (`decide`), and only the texts that start or end with white space go through `trim`.
        """
        hits = {name: test(table) for name, test in self.checks}
        special = _flagged_by_mapper(table)
        for hit in hits.values():
            special = pc.or_(special, hit)
        where = pc.indices_nonzero(special)
        own = table["quality_flags"].take(where).to_pylist() if "quality_flags" in table.column_names else None
        caught = {name: hit.take(where).to_pylist() for name, hit in hits.items()}
        keep, lengths, names = [True] * table.num_rows, [0] * table.num_rows, []
        for i, index in enumerate(where.to_pylist()):
            mapper = (own[i] or []) if own is not None else []
            dropped, flags = decide([*mapper, *(name for name in hits if caught[name][i])], self.dropping)
            if dropped:
                counter[f"dropped_{dropped}"] += 1
                keep[index] = False
            lengths[index] = len(flags)
            names += flags
        kept = pa.array(keep, pa.bool_())
        column = table.schema.get_field_index("quality_flags")
        offsets = pa.array([0, *itertools.accumulate(lengths)], pa.int32())
        flags = pa.ListArray.from_arrays(offsets, pa.array(names, pa.string()))
        table = table.set_column(column, "quality_flags", flags.cast(table.schema.field(column).type))
        table = table.filter(kept)
        changed = pa.array([False] * table.num_rows, pa.bool_())
        for field in self.trimmed:
            texts, trimmed = _trimmed(table[field].combine_chunks())
            table = table.set_column(table.schema.get_field_index(field), field, texts)
            changed = pc.or_(changed, trimmed)
        counter["trimmed"] += pc.sum(changed).as_py() or 0
        return table, kept


def _flagged_by_mapper(table: pa.Table) -> pa.ChunkedArray | pa.Array:
    """Which rows came from their mapper with flags: those are screened row by row."""
    if "quality_flags" not in table.column_names:
        return pa.array([False] * table.num_rows, pa.bool_())
    return pc.fill_null(pc.greater(pc.list_value_length(table["quality_flags"]), 0), False)


def _trimmed(texts: pa.Array) -> tuple[pa.Array, pa.Array]:
    """A text column with `trim` applied, and which texts it changed. Only a text that starts or ends with white
    space can change, so only those go through `trim`."""
    edges = pc.not_equal(pc.utf8_length(pc.utf8_trim(texts, whitespace())), pc.utf8_length(texts))
    changed, replacements = [False] * len(texts), []
    if pc.any(edges).as_py():
        where = pc.indices_nonzero(edges).to_pylist()
        for index, text in zip(where, texts.take(where).to_pylist(), strict=True):
            if (trimmed := trim(text)) != text:
                changed[index] = True
                replacements.append(trimmed)
    if not replacements:
        return texts, pa.array(changed, pa.bool_())
    changed = pa.array(changed, pa.bool_())
    return pc.replace_with_mask(texts, changed, pa.array(replacements, texts.type)), changed


def configs_of(check: str) -> list[str]:
    """The flat configs whose rows a check looks at, as they declare it.

    >>> configs_of("short_response")
    ['sft', 'ruozhiba']
    """
    return [config.name for config in FLAT if check in config.checks]


def card_context(configs_record: dict) -> dict:
    """The variables of the card's quality block: every check, and the benchmarks of each config's build."""
    checks = [
        {
            "name": c.name,
            "configs": ", ".join(looked) if (looked := configs_of(c.name)) != [f.name for f in FLAT] else "all",
            "catches": c.catches,
            "default": "dropped" if c.drops else "kept, flagged",
        }
        for c in CHECKS.values()
    ]
    benchmarks = [
        {"config": config, "spec": spec, "revision": b["revision"], "removed": sum(b["rows_removed"].values())}
        for config, entry in sorted(configs_record.items())
        for spec, b in entry.get("decontamination", {}).items()
    ]
    return {"checks": checks, "benchmarks": benchmarks}


def flagged(counts: dict[str, int]) -> dict[str, int]:
    """The `flagged_<check>` and `trimmed` counts as `{check: n}`, without the zeros."""
    found = {key.removeprefix("flagged_"): n for key, n in counts.items() if key.startswith("flagged_") and n}
    return found | ({"trimmed": counts["trimmed"]} if counts.get("trimmed") else {})
