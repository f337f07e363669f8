"""Build options are declared once: `BuildOptions` and the sources' own options, checked and recorded there."""

from dataclasses import fields

import pytest

from apt_hub.build import build
from apt_hub.cli import build_command
from apt_hub.errors import ConfigError
from apt_hub.layout import read_config, read_record
from apt_hub.options import BuildOptions, option_defaults, option_docs
from apt_hub.sources import SOURCES, Context, Option, Row, Source, register
from apt_hub.sources.coig_cqia import SOURCE as COIG
from apt_hub.sources.coig_cqia import to_sft

MARK = Option(name="mark", doc="star or none: a mark before every prompt", default="none", choices=("star", "none"))


def marked(row: Row, context: Context) -> Row:
    unified = to_sft(row, context)
    return unified | {"prompt": ("★ " if context.option(MARK) == "star" else "") + unified["prompt"]}


@pytest.fixture
def starred():
    """A source of COIG-CQIA's rows declaring an option of its own, registered for one test."""
    source = register(
        Source(
            name="starred",
            repo_id=COIG.repo_id,
            revision=COIG.revision,
            feeds={"ruozhiba": COIG.feeds["ruozhiba"]},
            columns=COIG.columns,
            convert=marked,
            options=(MARK,),
        )
    )
    yield source
    del SOURCES[source.name]


def test_every_option_has_one_line_of_help_and_a_default():
    own = [f.name for f in fields(BuildOptions) if f.name != "source_options"]
    assert list(option_docs()) == list(option_defaults()) == [*own, "storm_trace", "loyalty_file"]
    assert all(doc.strip() for doc in option_docs().values())


def test_the_cli_build_command_takes_its_flags_and_help_from_the_declarations():
    for name, doc in option_docs().items():
        assert f"        {name}: {doc}" in build_command.__doc__
    assert build_command.__signature__.parameters["storm_trace"].default == "deepseek"


def test_a_source_option_travels_from_build_to_the_rows_and_the_record(starred, tmp_path):
    out = tmp_path / "apt"
    build(["ruozhiba"], upstream="samples", only="starred", mark="star", output_dir=out)
    prompts = read_config(out, "ruozhiba", "train", columns=["prompt"]).column("prompt").to_pylist()
    assert prompts and all(prompt.startswith("★ ") for prompt in prompts)
    recorded = read_record(out)["configs"]["ruozhiba"]["options"]
    assert recorded["mark"] == "star" and "storm_trace" not in recorded
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "| seed | on bad rows | drop | keep | decontaminate | storm trace | loyalty file | mark |" in card
    with pytest.raises(ConfigError, match=r"--mark must be one of star, none; got 'dot'"):
        build(["ruozhiba"], upstream="samples", only="starred", mark="dot", output_dir=out)


def test_an_unknown_option_lists_the_declared_ones():
    with pytest.raises(
        ConfigError,
        match=r"an option must be one of decontaminate, .*, storm_trace, upstream; got 'storm_trac' "
        r"\(did you mean 'storm_trace'\?\)",
    ):
        BuildOptions.from_flags(storm_trac="gemini")


def test_a_source_sees_its_own_options_with_their_defaults():
    options = BuildOptions.from_flags(storm_trace="gemini")
    assert options.for_source(SOURCES["s1k"]) == {"storm_trace": "gemini"}
    assert options.for_source(SOURCES["loyalty"]) == {"loyalty_file": None}
    assert options.for_source(SOURCES["hh-rlhf"]) == {}
