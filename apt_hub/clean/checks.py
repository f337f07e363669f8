"""Named quality checks: what each catches, which configs it concerns, and whether it drops or flags by default.

A check either drops a row (counted as `dropped_<check>`) or keeps it with the check's name in the row's
`quality_flags` list (counted as `flagged_<check>`). `--drop CHECK` and `--keep CHECK` move a check from one
side to the other. Row checks are pure functions of one unified row and run where rows are converted (in the
worker processes, where polars must not run: it deadlocks in a forked process); column checks (`duplicate`,
`duplicate_prompt`, `test_overlap`, `contaminated`, `prefix_pair`) need a whole split or the duplicate rule and
run once the split is converted (`apt_hub.clean.dedup`).
"""

import functools
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigError
from ..sources.base import Row, whitespace

ALL = ("sft", "ruozhiba", "dpo", "storm", "loyalty")
ROLE_PREFIX = re.compile(r"\s*(Human|Assistant):")
# A blank line before a role marker: the upstream transcript format of a further dialogue turn.
EXTRA_TURN = re.compile(r"\n\n(Human|Assistant):")
HUMAN_TURN, ASSISTANT_TURN = "\n\nHuman:", "\n\nAssistant:"


@dataclass(frozen=True)
class Check:
    """One named quality check.

    Args:
        name: the name in `quality_flags`, in `dropped_<name>` / `flagged_<name>` counts and in `--drop`/`--keep`.
        configs: the configs whose rows it looks at.
        drops: whether a row it catches is dropped by default (else kept and flagged).
        catches: what it catches, in one sentence, for the README and the card.
        test: the row predicate; `None` for a split check or one set by a source's row mapper.
    """

    name: str
    configs: tuple[str, ...]
    drops: bool
    catches: str
    test: Callable[[Row], bool] | None = None


def response_role_prefix(row: Row) -> bool:
    """A preference response that opens with a role marker, the turn of someone else (hh-rlhf).

    >>> response_role_prefix({"chosen": "Human: and you?", "rejected": "Sure."})
    True
    """
    return bool(ROLE_PREFIX.match(row["chosen"]) or ROLE_PREFIX.match(row["rejected"]))


def response_extra_turn(row: Row) -> bool:
    """A preference response that goes on with a further `Human:` or `Assistant:` turn (hh-rlhf).

    >>> response_extra_turn({"chosen": "Sure.\\n\\nHuman: thanks", "rejected": "No."})
    True
    """
    # Substring searches: the same answer as `EXTRA_TURN`, without a regex pass over each long response.
    chosen, rejected = row["chosen"], row["rejected"]
    return HUMAN_TURN in chosen or ASSISTANT_TURN in chosen or HUMAN_TURN in rejected or ASSISTANT_TURN in rejected


def prompt_role_artefact(row: Row) -> bool:
    """A prompt whose transcript holds an empty assistant turn, `Assistant: Human:` (hh-rlhf).

    >>> prompt_role_artefact({"prompt": "Human: hi\\n\\nAssistant: Human: hello?"})
    True
    """
    return "Assistant: Human:" in row["prompt"]


def short_response(row: Row) -> bool:
    """A response of at most one character once trimmed, such as a bare `是`.

    >>> short_response({"response": " 是\\n"}), short_response({"response": "是的"})
    (True, False)
    """
    return len(row["response"].strip()) <= 1


def graded_wrong(row: Row) -> bool:
    """A storm row whose chosen attempt was graded wrong upstream (`grade` is `No`).

    >>> graded_wrong({"grade": "No"}), graded_wrong({"grade": "Yes"}), graded_wrong({"grade": ""})
    (True, False, False)
    """
    return row["grade"] == "No"


CHECKS: dict[str, Check] = {
    check.name: check
    for check in (
        Check(
            "response_role_prefix",
            ("dpo",),
            True,
            "a chosen or rejected response that begins with `Human:` or `Assistant:`",
            response_role_prefix,
        ),
        Check(
            "response_extra_turn",
            ("dpo",),
            True,
            "a chosen or rejected response that goes on with a further `\\n\\nHuman:` or `\\n\\nAssistant:` turn",
            response_extra_turn,
        ),
        Check(
            "prompt_role_artefact",
            ("dpo",),
            False,
            "a prompt holding an empty assistant turn (`Assistant: Human:`)",
            prompt_role_artefact,
        ),
        Check("prefix_pair", ("dpo",), False, "one response (normalised) begins with the whole other one"),
        Check("short_response", ("sft", "ruozhiba"), False, "a response of one character or none", short_response),
        Check("empty_box", ("storm",), False, "an empty `\\boxed{}` passed over to find the answer"),
        Check("several_boxes", ("storm",), False, "several different boxed answers; the last is `answer`"),
        Check("graded_wrong", ("storm",), False, "the chosen attempt was graded wrong upstream", graded_wrong),
        Check("duplicate", ALL, True, "a row whose texts repeat an earlier row of the split (normalised)"),
        Check(
            "duplicate_prompt",
            ALL,
            False,
            "a prompt that repeats an earlier prompt of the split with a different answer",
        ),
        Check("test_overlap", ALL, True, "a train row whose prompt (normalised) is a prompt of the test split"),
        Check("contaminated", ALL, True, "a prompt sharing an n-gram with a `--decontaminate` benchmark"),
    )
}


def dropped_checks(drop: Iterable[str] = (), keep: Iterable[str] = ()) -> frozenset[str]:
    """The checks that drop, after `--drop` and `--keep` moved some.

    Raises:
        ConfigError: an unknown check name, or one given to both.
    """
    drop, keep = set(drop), set(keep)
    for name in sorted(drop | keep):
        if name not in CHECKS:
            raise ConfigError(f"Unknown quality check {name!r}. Available: {sorted(CHECKS)}")
    if drop & keep:
        raise ConfigError(f"Checks given to both --drop and --keep: {sorted(drop & keep)}")
    return frozenset(name for name, check in CHECKS.items() if (check.drops or name in drop) and name not in keep)


# Text fields whose outer white space is trimmed, by config; hand-written loyalty rows are left as written.
TRIMMED = {
    "sft": ("prompt", "response"),
    "ruozhiba": ("prompt", "response"),
    "dpo": ("prompt", "chosen", "rejected"),
    "storm": ("problem", "answer"),
}
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


def screen(row: Row, config: str, dropping: frozenset[str], counter: Counter) -> bool:
    """Trim and check one unified row in place; whether it stays.

    The row's `quality_flags` (some set by the source's mapper) gain the name of every row check that
    catches it. A row caught by a dropping check is counted as `dropped_<first such check>` and leaves; a kept
    row that was trimmed is counted as `trimmed`. A build screens every row of a config: it makes one
    `RowScreen` and calls that instead.
    """
    return RowScreen(config, dropping)(row, counter)


class RowScreen:
    """`screen` for one config, with what does not change from row to row worked out once: the config's row
    checks, whether each drops, and the fields it trims.

    Args:
        config: the flat config whose rows are screened.
        dropping: the checks that drop (`dropped_checks`, `BuildOptions.dropping`).
    """

    def __init__(self, config: str, dropping: frozenset[str]):
        self.dropping = dropping
        self.checks = tuple((c.name, c.test, c.name in dropping) for c in _ROW_CHECKS.get(config, ()))
        self.trimmed = TRIMMED.get(config, ())

    def __call__(self, row: Row, counter: Counter) -> bool:
        dropped, flags = self._decide(row)
        if dropped:
            counter[f"dropped_{dropped}"] += 1
            return False
        row["quality_flags"] = flags
        changed = False
        for field in self.trimmed:
            text = row[field]
            row[field] = trimmed = trim(text)
            changed |= len(trimmed) != len(text)  # `trim` only cuts, so the same length is the same text
        counter["trimmed"] += changed
        return True

    def _decide(self, row: Row) -> tuple[str | None, list[str]]:
        """The dropping check that drops a row (`None` if none does) and the row's flags."""
        flags = list(row.get("quality_flags") or ())
        # The first dropping name in flag order decides; the checks after it cannot change that, so they are
        # not run (they are pure).
        dropped = next((name for name in flags if name in self.dropping), None)
        if dropped is None:
            for name, test, drops in self.checks:
                if test(row):
                    if drops:
                        return name, flags
                    flags.append(name)
        return dropped, flags

    def table(self, table: pa.Table, counter: Counter) -> tuple[pa.Table, pa.Array]:
        """`__call__` over a table of unified rows: the kept rows, flagged and trimmed, and which rows were kept.

        The checks run as Arrow kernels over whole columns (`VECTOR_TESTS`), each giving what its row test gives.
        Only the rows a check catches or whose mapper set flags are decided row by row, and only the texts that
        start or end with white space go through `trim`.
        """
        special = _flagged_by_mapper(table)
        for name, _, _ in self.checks:
            special = pc.or_(special, VECTOR_TESTS[name](table))
        keep, lengths, names = [True] * table.num_rows, [0] * table.num_rows, []
        where = pc.indices_nonzero(special)
        read = [name for name in (*_TESTED_FIELDS, "quality_flags") if name in table.column_names]
        for index, row in zip(where.to_pylist(), table.select(read).take(where).to_pylist(), strict=True):
            dropped, flags = self._decide(row)
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


_ROW_CHECKS = {
    config: tuple(c for c in CHECKS.values() if c.test is not None and config in c.configs) for config in ALL
}


@functools.cache
def _role_prefix_pattern() -> str:
    """`ROLE_PREFIX` for RE2 (Arrow's regular expressions): its `\\s` spelled as Python's white space."""
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


# The row tests of `CHECKS` as Arrow kernels over a table of unified rows, each giving what its row test gives for
# every row (a property test holds them to it).
VECTOR_TESTS: dict[str, Callable[[pa.Table], pa.ChunkedArray]] = {
    "response_role_prefix": lambda t: _any_text(t, ("chosen", "rejected"), _holds(_role_prefix_pattern())),
    "response_extra_turn": lambda t: _any_text(t, ("chosen", "rejected"), _holds("\n\n(?:Human|Assistant):")),
    "prompt_role_artefact": lambda t: _holds("Assistant: Human:")(t["prompt"]),
    "short_response": lambda t: pc.less_equal(pc.utf8_length(pc.utf8_trim(t["response"], whitespace())), 1),
    "graded_wrong": lambda t: pc.equal(t["grade"], "No"),
}


# The fields the row tests read.
_TESTED_FIELDS = ("prompt", "response", "chosen", "rejected", "grade")


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


def card_context(configs_record: dict) -> dict:
    """The variables of the card's quality block: every check, and the benchmarks of each config's build."""
    checks = [
        {
            "name": c.name,
            "configs": ", ".join(c.configs) if c.configs != ALL else "all",
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
