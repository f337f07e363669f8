"""How two texts are compared when looking for duplicates (merge, loyalty prompts, template prompts)."""

import unicodedata


def normalize_text(text: str) -> str:
    """The form two texts are compared in: NFKC, case-folded, whitespace runs folded into one space.

    >>> normalize_text("  Ｈｅｌｌｏ\\u3000World!\\n") == normalize_text("hello world!")
    True
    """
    return " ".join(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()).split())
