"""The `datasets` builder used directly, as the README shows, and the validation of its configs."""

import pytest

from apt_hub.errors import ConfigError
from apt_hub.options import BuildOptions
from builders import Apt, AptConfig


def test_builder_instantiated_directly_builds_from_samples(tmp_path):
    builder = Apt(config_name="ruozhiba", upstream="samples", cache_dir=str(tmp_path))
    builder.download_and_prepare()
    ruozhiba = builder.as_dataset("train")
    assert len(ruozhiba) == 8 and set(ruozhiba["source"]) == {"coig-cqia/ruozhiba"}
    assert builder.read_counts()[("train", "coig-cqia/ruozhiba")]["kept"] == 8


def test_builder_cache_dir_depends_on_options(tmp_path):
    deepseek = Apt(config_name="storm", upstream="samples", cache_dir=str(tmp_path))
    gemini = Apt(config_name="storm", upstream="samples", cache_dir=str(tmp_path), storm_trace="gemini")
    assert deepseek.cache_dir != gemini.cache_dir


def test_config_validation():
    with pytest.raises(ConfigError, match=r"Unknown config 'sfx'. Available: \['sft', 'ruozhiba', 'dpo', 'storm', 'l"):
        AptConfig(name="sfx")


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"on_bad_rows": "ignore"}, r"on_bad_rows must be one of \('error', 'skip'\)"),
        ({"storm_trace": "gpt"}, r"storm_trace must be one of \('deepseek', 'gemini'\)"),
        ({"max_samples": 0}, "max_samples must be a positive whole number, got 0"),
        ({"seed": "x"}, "--seed expects a whole number, got 'x'"),
        ({"only": ("hh-rlhf", "nope")}, r"Unknown source 'nope'"),
        ({"storm": "gemini"}, r"Unknown option 'storm'. Available: \['loyalty_file', 'max_samples'"),
    ],
)
def test_options_are_checked_where_they_are_declared(flags, message):
    with pytest.raises(ConfigError, match=message):
        BuildOptions.from_flags(**flags)


def test_the_builder_checks_its_keyword_options():
    with pytest.raises(ConfigError, match=r"storm_trace must be one of \('deepseek', 'gemini'\)"):
        Apt(config_name="storm", upstream="samples", storm_trace="gpt")


def test_sources_under_only(tmp_path):
    assert AptConfig(name="dpo").sources() == ["hh-rlhf", "ultrafeedback"]
    assert AptConfig(name="dpo", options=BuildOptions(only="ultrafeedback")).sources() == ["ultrafeedback"]
    assert AptConfig(name="sft", options=BuildOptions(only=("ultrafeedback",))).sources() == []
