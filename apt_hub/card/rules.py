"""The Hub's rules for a dataset card's YAML header, checked offline.

`huggingface_hub` documents the allowed values but ships no list of them except through `datasets`
(`size_categories.json`); the licence ids and task categories are kept here, as the Hub lists them in its
documentation (repositories-licenses, and the task list of `huggingface.js`). The card checks its own header with
`metadata_errors` before writing it, and the test Hub answers `/api/validate-yaml` with the same function.
"""

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

# https://huggingface.co/docs/hub/repositories-licenses
LICENSES = frozenset(
    """
    apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0 bigcode-openrail-m
    afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0
    cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0
    cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0
    cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl
    gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr
    mpl-2.0 odc-by odbl openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr
    deepfloyd-if-license fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 llama3.3 llama4 gemma
    unknown other
    """.split()
)
# The task categories the Hub offers for datasets (huggingface.js, packages/tasks/src/pipelines.ts).
TASK_CATEGORIES = frozenset(
    """
    text-classification token-classification table-question-answering question-answering zero-shot-classification
    translation summarization feature-extraction text-generation fill-mask sentence-similarity text-to-speech
    text-to-audio automatic-speech-recognition audio-to-audio audio-classification audio-text-to-text
    voice-activity-detection depth-estimation image-classification object-detection image-segmentation text-to-image
    image-to-text image-to-image image-to-video unconditional-image-generation video-classification
    reinforcement-learning robotics tabular-classification tabular-regression tabular-to-text table-to-text
    multiple-choice text-ranking text-retrieval time-series-forecasting text-to-video image-text-to-text
    visual-question-answering document-question-answering zero-shot-image-classification graph-ml mask-generation
    zero-shot-object-detection text-to-3d image-to-3d image-feature-extraction video-text-to-text keypoint-detection
    visual-document-retrieval any-to-any video-to-video other
    """.split()
)


def size_categories() -> frozenset[str]:
    """The Hub's size categories, from the list `datasets` ships (`n<1K`, `1K<n<10K`, ..., `n>1T`)."""
    text = (resources.files("datasets.utils.resources") / "size_categories.json").read_text(encoding="utf-8")
    return frozenset(json.loads(text))


def metadata_errors(data: Mapping[str, Any]) -> list[str]:
    """What the Hub would refuse in a dataset card's YAML header, one message per problem.

    Checks the licence ids (and `license_name` and `license_link` when the licence is `other`), the task and size
    categories, and the `configs:` entries (a unique `config_name`, `data_files` as a pattern or a list of
    `{split, path}`, at most one `default`).

    Args:
        data: the header as a mapping, as `yaml.safe_load` or `DatasetCardData.to_dict()` give it.

    Returns:
        The problems found, each naming the key; an empty list when the header is valid.

    Example:
        >>> metadata_errors({"license": "other", "size_categories": ["1K<n<10K"]})
        ["license_name: required when license is 'other'", "license_link: required when license is 'other'"]
    """
    if not isinstance(data, Mapping):
        return [f"the YAML header must be a mapping, got {type(data).__name__}"]
    return [
        *_license_errors(data),
        *_choice_errors(data, "task_categories", TASK_CATEGORIES),
        *_choice_errors(data, "size_categories", size_categories()),
        *_configs_errors(data.get("configs")),
    ]


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _license_errors(data: Mapping[str, Any]) -> list[str]:
    errors = _choice_errors(data, "license", LICENSES)
    if "other" in _as_list(data.get("license")):
        for key in ("license_name", "license_link"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                errors.append(f"{key}: required when license is 'other'")
    return errors


def _choice_errors(data: Mapping[str, Any], key: str, allowed: frozenset[str]) -> list[str]:
    return [
        f"{key}: {value!r} is not one the Hub knows (for example {', '.join(sorted(allowed)[:4])}, ...)"
        for value in _as_list(data.get(key))
        if value not in allowed
    ]


def _configs_errors(configs: Any) -> list[str]:
    if configs is None:
        return []
    if not isinstance(configs, list):
        return [f"configs: expected a list of {{config_name, data_files}}, got {type(configs).__name__}"]
    errors, seen = [], set()
    for index, entry in enumerate(configs):
        name = entry.get("config_name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            errors.append(f"configs[{index}]: config_name must be a non-empty string")
            continue
        if name in seen:
            errors.append(f"configs[{index}]: config_name {name!r} appears twice")
        seen.add(name)
        if not _data_files_ok(entry.get("data_files")):
            errors.append(f"configs[{index}] ({name}): data_files must be a pattern or a list of {{split, path}}")
    if sum(1 for e in configs if isinstance(e, dict) and e.get("default")) > 1:
        errors.append("configs: more than one config is marked default")
    return errors


def _data_files_ok(files: Any) -> bool:
    if isinstance(files, str):
        return bool(files)
    if not isinstance(files, list) or not files:
        return False
    return all(
        isinstance(f, str) or (isinstance(f, dict) and isinstance(f.get("split"), str) and f.get("path"))
        for f in files
    )
