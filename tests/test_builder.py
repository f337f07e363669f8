"""The `datasets` builder used directly, as docs/building.md shows, and the validation of its configs."""

import shutil
from dataclasses import replace

import pytest
from apt_hub.builders import Apt, AptConfig

from apt_hub.build import build
from apt_hub.configs import CONFIGS
from apt_hub.errors import AptHubError, ConfigError
from apt_hub.options import BuildOptions
from apt_hub.pipeline import sources_of
from apt_hub.read.upstream import SAMPLES
from apt_hub.sources import SOURCES, register


def test_builder_instantiated_directly_builds_from_samples(tmp_path):
    builder = Apt(config_name="ruozhiba", upstream="samples", cache_dir=str(tmp_path))
    builder.download_and_prepare()
    ruozhiba = builder.as_dataset("train")
    assert len(ruozhiba) == 11 and set(ruozhiba["source"]) == {"coig-cqia/ruozhiba"}
    assert builder.converted.counts[("train", "coig-cqia/ruozhiba")]["kept"] == 11  # 12 rows, one duplicate
    # Nothing of its own in the cache: what `datasets` writes there (its split file, its info, its locks), only that.
    names = {path.name for path in tmp_path.rglob("*") if path.is_file() and not path.name.endswith(".lock")}
    assert names == {"apt-train.arrow", "dataset_info.json"}, names


def test_builder_cache_dir_depends_on_options(tmp_path):
    deepseek = Apt(config_name="storm", upstream="samples", cache_dir=str(tmp_path))
    gemini = Apt(config_name="storm", upstream="samples", cache_dir=str(tmp_path), storm_trace="gemini")
    assert deepseek.cache_dir != gemini.cache_dir


def test_config_validation():
    with pytest.raises(ConfigError, match=r"config must be one of sft, ruozhiba, dpo, storm, loyalty, .*; got 'sfx'"):
        AptConfig(name="sfx")


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"on_bad_rows": "ignore"}, r"--on-bad-rows must be one of error, skip; got 'ignore'"),
        ({"storm_trace": "gpt"}, r"--storm-trace must be one of deepseek, gemini; got 'gpt'"),
        ({"max_samples": 0}, "--max-samples must be a positive whole number, got 0"),
        ({"seed": "x"}, "--seed expects a whole number, got 'x'"),
        ({"only": ("hh-rlhf", "nope")}, r"a source must be one of coig-cqia, hh-rlhf, .*; got 'nope'"),
        ({"storm": "gemini"}, r"an option must be one of decontaminate, drop, keep, loyalty_file, .*; got 'storm'"),
        ({"storm_trac": "gemini"}, r"got 'storm_trac' \(did you mean 'storm_trace'\?\)"),
    ],
)
def test_options_are_checked_where_they_are_declared(flags, message):
    with pytest.raises(ConfigError, match=message):
        BuildOptions.from_flags(**flags)


def test_the_builder_checks_its_keyword_options():
    with pytest.raises(ConfigError, match=r"--storm-trace must be one of deepseek, gemini; got 'gpt'"):
        Apt(config_name="storm", upstream="samples", storm_trace="gpt")


def test_sources_under_only(tmp_path):
    def names(config: str, **options) -> list[str]:
        return [source.name for source in sources_of(CONFIGS[config], BuildOptions(**options))]

    assert names("dpo") == ["hh-rlhf", "ultrafeedback"]
    assert names("dpo", only="ultrafeedback") == ["ultrafeedback"]
    assert names("sft", only=("ultrafeedback",)) == []


@pytest.fixture
def python_source(tmp_path):
    """A source registered from Python, reading the samples' ruozhiba file; removed from the registry after."""
    upstream = tmp_path / "upstream" / "me" / "qa"
    upstream.mkdir(parents=True)
    shutil.copy(SAMPLES / "m-a-p/COIG-CQIA/ruozhiba/ruozhiba_ruozhiba.jsonl", upstream / "qa.jsonl")
    base = replace(SOURCES["coig-cqia"], name="my-qa", repo_id="me/qa", feeds={"sft": {"train": ("qa.jsonl",)}})
    yield base, str(tmp_path / "upstream")
    SOURCES.pop("my-qa", None)


def shouting(row, context):
    return {"prompt": row["instruction"], "response": row["output"].upper() + "!", "source": context.tag}


def whispering(row, context):
    return {"prompt": row["instruction"], "response": row["output"].lower() + "...", "source": context.tag}


def test_a_source_registered_from_python_keys_the_cache_with_its_mapper(python_source, tmp_path):
    """Change a Python source's mapper between two builds: the build and the builder convert again, never serving
    the rows of the old mapper from a cache."""
    base, upstream = python_source
    cache = str(tmp_path / "cache")
    responses = []
    for mapper in (shouting, whispering):
        register(replace(base, convert=mapper), replace=True)
        report = build(["sft"], upstream=upstream, only="my-qa", output_dir=tmp_path / "apt")
        assert report.configs["sft"]["splits"]["train"]["rows"] > 0
        builder = Apt(config_name="sft", upstream=upstream, only="my-qa", cache_dir=cache)
        builder.download_and_prepare()
        responses.append(builder.as_dataset("train")["response"])
    assert all(r.endswith("!") for r in responses[0]) and all(r.endswith("...") for r in responses[1])


def assistant_first(row, context):
    turns = [{"role": "assistant", "content": "Hello."}, {"role": "user", "content": row["instruction"]}]
    return {"prompt": row["instruction"], "chosen": row["output"], "rejected": "No.", "source": context.tag,
            "prompt_messages": turns}  # fmt: skip


def test_prompt_turns_out_of_trl_form_stop_the_build(python_source, tmp_path, capsys):
    """The prompt turns a mapper records feed `dpo_chat` and `dpo`'s history alike: turns out of TRL's
    conversational form stop either build with one line naming the row."""
    base, upstream = python_source
    register(replace(base, feeds={"dpo": {"train": ("qa.jsonl",)}}, convert=assistant_first), replace=True)
    wrong = r"dpo: row my-qa:qa.jsonl:1: the prompt_messages its source's mapper recorded are not in TRL's "
    for config in ("dpo", "dpo_chat"):
        with pytest.raises(AptHubError, match=wrong + r"conversational form \(prompt: expected user and assistant"):
            build([config], upstream=upstream, only="my-qa", output_dir=tmp_path / config)
        assert not (tmp_path / config).exists()
