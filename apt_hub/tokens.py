"""Token counts without a tokenizer: an estimate from each text's characters, for one named tokenizer family, so
that the card can say what share of a config's rows a trainer would cut at common context sizes.

A text's tokens are estimated from three counts that polars takes without a tokenizer: ASCII digits, other ASCII
characters, and the other characters, counted as `(UTF-8 bytes - characters) / 2` (exact for Chinese, whose
characters take three bytes). Each class costs what it costs in the Qwen2.5 tokenizer, fitted by least squares on
8,978 real texts (4,354 COIG-CQIA prompts and responses, 4,624 hh-rlhf transcripts; `training/tokens_check.py`,
run by `make train-check`, fits them again and checks them against the real tokenizer): a digit is a token of its
own (a little more, as numbers come with signs and spaces), four or five other ASCII characters make a token, a
Chinese character seven tenths of one. On those texts the estimate of 80% of the texts is within -16% and +14% of
the real count (COIG-CQIA -22% and +21%, hh-rlhf -10% and +7%), the sum within 1.5%, and the share of texts over
128, 256, 512 or 1,024 tokens within 0.8 points of the real share. The chat template's own tokens (a few per turn)
are not counted.

polars is the only import: `apt-hub stats` takes these with its measures.
"""

import polars as pl

# The tokenizer family the counts are for: Qwen2, Qwen2.5 and Qwen3 share one byte-level BPE of 151,643 tokens.
TOKENIZER = "Qwen2.5"
PER_DIGIT = 1.47
PER_ASCII = 0.224
PER_OTHER = 0.694
# Context sizes whose share of longer rows the card gives.
CONTEXTS = (1024, 2048, 4096, 8192)
# How the counts are made, for the card.
METHOD = (
    f"estimated without a tokenizer for {TOKENIZER}'s (Qwen2 and Qwen3 share it): {PER_DIGIT} tokens per ASCII "
    f"digit, {PER_ASCII} per other ASCII character, {PER_OTHER} per other character (counted from the UTF-8 bytes), "
    "costs fitted on 8,978 real COIG-CQIA and hh-rlhf texts, where 80% of the estimates fall within -16% and +14% "
    "of the real count and the share of texts over a size within 0.8 points of the real share; the chat "
    "template's few tokens per turn are not counted"
)


def character_classes(text: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """The three counts the estimate weighs: ASCII digits, other ASCII characters, other characters."""
    chars = text.str.len_chars()
    other = (text.str.len_bytes() - chars) / 2
    digits = text.str.count_matches("[0-9]")
    return digits, chars - digits - other, other


def estimate(text: pl.Expr) -> pl.Expr:
    """The estimated tokens of each text (0 for a null), as a float.

    >>> frame = pl.DataFrame({"t": ["The answer is 120.", "北京有哪些好玩的地方？", None]})
    >>> frame.select(estimate(pl.col("t")).round(1).alias("tokens"))["tokens"].to_list()  # Qwen2.5: 8 and 5
    [7.8, 7.6, 0.0]
    """
    digits, ascii_, other = character_classes(text)
    return (PER_DIGIT * digits + PER_ASCII * ascii_ + PER_OTHER * other).fill_null(0.0)
