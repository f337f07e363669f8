"""The one duplicate rule of apt-hub: two texts are the same when their normal forms are equal.

The normal form is Unicode NFKC, case folding (Python's `str.casefold`) and NFKC again, then white space folding:
each run of white space one space, none at the ends. `normalized` is the vectorised rule (a polars expression)
that the build, `stats`, `merge` and decontamination run over whole columns; `normalize_texts` and
`normalize_text` run the same expression over Python strings (loyalty checks, the template); `reference_fold`
is the rule written with the standard library, which the vectorised one must equal on every text.

`with_keys` adds what the duplicate checks compare to a frame, normalising each text once: the 128-bit key of
each field (`key_column`) and, for a preference pair, whether its sides are identical or prefixes once
normalised. The build's split checks take the keys of every row; `stats` takes the same keys from the build.
"""

import itertools
import unicodedata
from collections.abc import Sequence
from functools import cache

import polars as pl

# Python's `str.split()` white space after NFKC other than " " (NFKC already maps no-break and ideographic spaces
# to " "). The fold's one `replace_many` turns each into a space; then each run of spaces becomes one, a pattern
# that begins with a literal and so scans fast (a class of every white space character scanned 4x slower).
_OTHER_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u1680\u2028\u2029"
_TO_SPACE = str.maketrans(dict.fromkeys(_OTHER_SPACE, " "))
_SPACES = "  +"
# Hangul vowel and trailing jamo, which compose with the jamo before them without a decomposition to say so.
_HANGUL_SECOND = [*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)]
# Planes where this Unicode database assigns characters: 0 to 3 and 14. A text with a character of any other
# plane takes the reference rule, so a newer database cannot make the two disagree.
_PLANES = (range(0x80, 0xD800), range(0xE000, 0x40000), range(0xE0000, 0xF0000))
_UNKNOWN_PLANES = [(0x40000, 0xDFFFF), (0xF0000, 0x10FFFF)]
# String columns that hold labels or identifiers rather than text a model reads.
LABEL_FIELDS = frozenset(
    {"id", "source", "task_type", "answer_from", "answer_kind", "grade", "trace_model", "cot_type", "source_type"}
)
# Columns a config derives from its other texts, for another trainer (`apt_hub.configs.base.Derived`): they repeat
# the row's texts, so they are neither compared nor measured again.
DERIVED_FIELDS = frozenset({"history", "last_turn", "completion"})


def reference_fold(text: str) -> str:
    """NFKC, case folding, NFKC: the rule before white space folding, one Python string at a time.

    >>> reference_fold("Ｓtraße"), reference_fold("ǰ")
    ('strasse', 'ǰ')
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


@cache
def _fold_tables() -> tuple[dict[str, str], str]:
    """What folds a text one character at a time: the replacement of each character whose fold differs from it,
    and a regex class of the characters for which that is not the rule's answer.

    NFKC of a text is the NFKC of each of its characters, joined, unless a character's decomposition begins
    with a combining mark or with the second character of a composition (`e` + U+0301, Hangul vowel jamo): only
    those reach across to the character before. So a text without such characters, and without characters
    whose folding makes one, folds character by character, with one `replace_many`. The others (rare: a bare
    combining mark, a lone jamo) take `reference_fold`. Built in about 0.15 s, once per process.
    """
    second = {chr(code) for code in _HANGUL_SECOND}
    candidates = []
    for code in itertools.chain.from_iterable(_PLANES):
        char = chr(code)
        decomposition = unicodedata.decomposition(char)
        if decomposition:
            candidates.append(char)
            parts = decomposition.split()
            if len(parts) == 2 and not decomposition.startswith("<"):  # a canonical composition pair
                second.add(chr(int(parts[1], 16)))
        elif unicodedata.combining(char) or char.casefold() != char:
            candidates.append(char)

    def reaches_back(text: str) -> bool:
        first = unicodedata.normalize("NFKD", text)[0]
        return unicodedata.combining(first) != 0 or first in second

    unsafe = set(second)
    replace = {chr(code): chr(code).lower() for code in range(ord("A"), ord("Z") + 1)}
    for char in candidates:
        nfkc = unicodedata.normalize("NFKC", char)
        folded = reference_fold(char)
        if any(reaches_back(step) for step in (char, nfkc, nfkc.casefold(), folded)):
            unsafe.add(char)
        elif folded != char:
            replace[char] = folded
    ranges: list[list[int]] = []
    for code in sorted(map(ord, unsafe)):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    ranges += [list(plane) for plane in _UNKNOWN_PLANES]
    unsafe_class = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return replace, f"[{unsafe_class}]"


def normalized(text: pl.Expr) -> pl.Expr:
    """The normal form of a text column: NFKC, case-folded, each run of white space one space, none at the ends.

    Null counts as the empty text. A polars expression throughout, so that polars folds several columns at once,
    but for the rare texts `_fold_tables` leaves to `reference_fold`, which only those reach.

    Args:
        text: a string expression, such as `pl.col("prompt")`.

    Returns:
        The expression of the normal forms.
    """
    replace, unsafe_class = _spacing_fold_tables()
    text = text.fill_null("")
    unsafe = text.str.contains(unsafe_class)
    one_by_one = pl.when(unsafe).then(text).otherwise(pl.lit("")).map_batches(_reference, return_dtype=pl.String)
    folded = pl.when(unsafe).then(one_by_one).otherwise(text.str.replace_many(replace))
    return folded.str.replace_all(_SPACES, " ").str.strip_chars(" ")


@cache
def _spacing_fold_tables() -> tuple[dict[str, str], str]:
    """`_fold_tables`, each replacement's white space other than " " a space, and that white space replaced by a
    space."""
    replace, unsafe_class = _fold_tables()
    replace = {char: folded.translate(_TO_SPACE) for char, folded in replace.items()}
    return replace | dict.fromkeys(_OTHER_SPACE, " "), unsafe_class


def _reference(texts: pl.Series) -> pl.Series:
    """`reference_fold` of the texts that are not empty, white space other than " " a space; the empty ones stay
    empty."""
    where = (texts != "").arg_true()
    if where.is_empty():
        return texts
    exact = [reference_fold(text).translate(_TO_SPACE) for text in texts.gather(where).to_list()]
    return texts.scatter(where, pl.Series(exact, dtype=pl.String))


def normalize_texts(texts: list[str] | pl.Series) -> list[str]:
    """The normal forms of many texts at once (see `normalized`).

    >>> normalize_texts(["  Ｈｅｌｌｏ\\u3000World!\\n", "Straße"])
    ['hello world!', 'strasse']
    """
    return pl.select(normalized(pl.lit(pl.Series(texts, dtype=pl.String)))).to_series().to_list()


def normalize_text(text: str) -> str:
    """The normal form of one text (see `normalized`).

    >>> normalize_text("  Ｈｅｌｌｏ\\u3000World!\\n") == normalize_text("hello world!")
    True
    """
    return normalize_texts([text])[0]


def text_fields(schema: pl.Schema | dict[str, pl.DataType]) -> list[str]:
    """The string columns that hold text, in schema order: every string column but the labels, ids and derived
    columns.

    >>> text_fields({"prompt": pl.String, "response": pl.String, "source": pl.String, "n": pl.Int64})
    ['prompt', 'response']
    """
    skipped = LABEL_FIELDS | DERIVED_FIELDS
    return [name for name, dtype in schema.items() if dtype == pl.String and name not in skipped]


def key_column(field: str) -> str:
    """The column `with_keys` gives the key of a field."""
    return f"_key:{field}"


def with_keys(
    frame: pl.LazyFrame, fields: Sequence[str], pair: tuple[str, str] | None = None, *, normal: Sequence[str] = ()
) -> pl.LazyFrame:
    """The frame with the key of each of `fields` (`key_column`), for a `pair` of fields `_pair_identical`,
    `_pair_starts` (one side, normalised, begins with the whole other) and `_pair_empty`, and the normal form of
    each of `normal` (`normal_column`); each text is normalised once.

    A key is two 64-bit hashes (seeds 0 and 1) of the normal form, a struct `{a, b}`: a collision among a
    billion rows is about as likely as one in 10^20.
    """
    forms = {field: normal_column(field) for field in dict.fromkeys([*fields, *(pair or ()), *normal])}
    frame = frame.with_columns(normalized(pl.col(field)).alias(column) for field, column in forms.items())
    keys = [_hash_pair(pl.col(forms[field])).alias(key_column(field)) for field in fields]
    if pair:
        a, b = (pl.col(forms[side]) for side in pair)
        keys += [
            (a == b).alias("_pair_identical"),
            (a.str.starts_with(b) | b.str.starts_with(a)).alias("_pair_starts"),
            ((a == "") | (b == "")).alias("_pair_empty"),
        ]
    return frame.with_columns(keys).drop([forms[field] for field in forms if field not in normal])


def normal_column(field: str) -> str:
    """The column `with_keys` gives the normal form of a field."""
    return f"_normal:{field}"


def combined_key(fields: Sequence[str]) -> pl.Expr:
    """The key of a row over `fields`, from the keys `with_keys` gave each: equal for two rows exactly when every
    one of these fields has the same normal form in both (but for collisions)."""
    return _hash_pair(pl.struct([pl.col(key_column(field)) for field in fields]))


def _hash_pair(value: pl.Expr) -> pl.Expr:
    return pl.struct(value.hash(seed=0).alias("a"), value.hash(seed=1).alias("b"))
