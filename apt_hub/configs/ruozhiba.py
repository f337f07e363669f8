"""`ruozhiba`: the Ruozhiba subset of COIG-CQIA (trick questions and puns), for the reasoning boost."""

from . import sft
from .base import Config, Export

CONFIG = Config(
    name="ruozhiba",
    stage="reasoning boost",
    purpose="The Ruozhiba subset of COIG-CQIA: tricky, pun-laden Chinese questions with careful answers.",
    tags=("ruozhiba", "reasoning"),
    fields=sft.FIELDS,
    unified=sft.UNIFIED,
    docs=sft.CONFIG.docs,
    duplicate=("prompt", "response"),
    trimmed=("prompt", "response"),
    checks=sft.CHECKS,
    export=Export(fields=("prompt", "response", "source"), per_source=False),
    twin=sft.instruction_twin(),
    custom=("prompt", "response"),
    llama_factory=sft.LLAMA_FACTORY,
    sequences=sft.SEQUENCES,
)
