"""The one duplicate rule of apt-hub: two texts are the same when their normal forms are equal.

The normal form is Unicode NFKC, case folding and white space folding. `normalized` is the vectorised rule
(a polars expression) that the build, `stats` and `merge` run over whole columns; `normalize_texts` and
`normalize_text` run the same expression over Python strings (loyalty checks, the template).
"""

from functools import cache

import polars as pl

# Python's `str.split()` white space after NFKC (NFKC already maps no-break and ideographic spaces to " "). Only
# runs of two or more and single characters other than " " are replaced: replacing every single space by itself
# made the pass 5x slower.
_OTHER_SPACE = "\t\n\x0b\x0c\r\x1c-\x1f\x85\u1680\u2028\u2029"
_WHITE_SPACE = f"[ {_OTHER_SPACE}]{{2,}}|[{_OTHER_SPACE}]"


@cache
def _casefold_map() -> dict[str, str]:
    """Lower-case characters whose case folding differs from their lower case (`ß` -> `ss`, `ς` -> `σ`).

    polars lower-cases; replacing these afterwards gives Python's `str.casefold`. All of them are in the Basic
    Multilingual Plane, so the scan stops there (0.1 s instead of 1.8 s for every code point).
    """
    chars = (chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF)
    return {c: c.casefold() for c in chars if c.casefold() != c and c.lower() == c}


def normalized(text: pl.Expr) -> pl.Expr:
    """The normal form of a text column: NFKC, case-folded, each run of white space one space, none at the ends.

    Null counts as the empty text. NFKC runs again after case folding, which can undo it (`ǰ` folds to `ǰ`).

    Args:
        text: a string expression, such as `pl.col("prompt")`.

    Returns:
        The expression of the normal forms.
    """
    folded = text.fill_null("").map_batches(_fold, return_dtype=pl.String)
    return folded.str.replace_all(_WHITE_SPACE, " ").str.strip_chars(" ")


def _fold(texts: pl.Series) -> pl.Series:
    """NFKC, case folding, NFKC. Plain ASCII texts are only lower-cased, which is all the rest does to them:
    polars' NFKC runs at about 15 MB/s, its ASCII test at 150 MB/s."""
    other = texts.str.contains(r"[^\x00-\x7f]")
    folded = texts.str.to_lowercase()
    if not other.any():
        return folded
    rest = texts.filter(other).str.normalize("NFKC").str.to_lowercase().str.replace_many(_casefold_map())
    return folded.scatter(other.arg_true(), rest.str.normalize("NFKC"))


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


def text_key(fields: list[str]) -> pl.Expr:
    """The duplicate key of a row: two 64-bit hashes (seeds 0 and 1) of the normal forms of `fields`, joined.

    Two hashes make a 128-bit key, so that a collision among a billion rows is about as likely as one in 10^20.

    Args:
        fields: the text columns compared.

    Returns:
        A struct expression `{a, b}`, equal for two rows exactly when their normal forms are (but for collisions).
    """
    joined = pl.concat_str([normalized(pl.col(name)) for name in fields], separator="\x1f")
    return pl.struct(joined.hash(seed=0).alias("a"), joined.hash(seed=1).alias("b"))
