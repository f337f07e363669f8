"""Sources of one's own, described in YAML or TOML, built from a Hub-compatible server beside the built-in ones."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_fuzz import MISBEHAVIOURS, build_with_a_mapping_that

from apt_hub.build import build
from apt_hub.cli import main
from apt_hub.errors import BadRowError, ConfigError
from apt_hub.export import export
from apt_hub.layout import read_record
from apt_hub.sources import SOURCES
from apt_hub.sources.custom import forget_custom_sources, load_sources_file, use_sources_file

SHA = "c0ffee" + "0" * 34
INSTRUCTIONS = {
    "README.md": b"# my instructions\n",
    "data/train.jsonl": b"".join(
        json.dumps(row, ensure_ascii=False).encode() + b"\n"
        for row in [
            {"question": "What is 2 + 2?", "answer": "4", "kind": "math"},
            {"question": "Name a color.", "answer": "Teal", "kind": "trivia"},
            {"question": "Say nothing.", "answer": "  ", "kind": "odd"},
        ]
    ),
    "data/test.jsonl": json.dumps({"question": "Capital of France?", "answer": "Paris", "kind": "geo"}).encode(),
}
YAML = f"""\
sources:
  - name: my-sft
    repo_id: me/my-instructions
    revision: "{SHA}"
    config: sft
    data_dir: data
    splits: [train, test]
    columns: {{prompt: question, response: answer, task_type: kind}}
    license: cc-by-4.0
"""


@pytest.fixture(autouse=True)
def no_custom_sources_left():
    yield
    forget_custom_sources()


@pytest.fixture
def instructions(hub):
    hub.add_repo("me/my-instructions", INSTRUCTIONS, sha=SHA)
    return hub


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def rows(root: Path, config: str, split: str = "train") -> list[dict]:
    return datasets.load_dataset(str(root), config, split=split).to_list()


def test_a_yaml_source_builds_from_the_hub_server(instructions, tmp_path):
    sources_file = write(tmp_path / "mine.yaml", YAML)
    out = tmp_path / "apt"
    report = build(["sft"], only="my-sft", upstream="hub", output_dir=out, sources_file=str(sources_file))
    train = rows(out, "sft")
    assert [(r["prompt"], r["response"], r["task_type"], r["source"]) for r in train] == [
        ("What is 2 + 2?", "4", "math", "my-sft"),
        ("Name a color.", "Teal", "trivia", "my-sft"),
    ]
    assert train[0]["id"] == "my-sft:data/train.jsonl:1"
    assert [r["prompt"] for r in rows(out, "sft", "test")] == ["Capital of France?"]
    entry = report.configs["sft"]
    assert entry["counts"]["train"]["my-sft"] == {
        "rows": 3,
        "kept": 2,
        "dropped_empty_response": 1,
        "flagged_short_response": 1,  # "4": kept, flagged
    }
    assert [r["quality_flags"] for r in train] == [["short_response"], []]
    assert entry["sources"]["my-sft"] | {"files": None} == {
        "repo_id": "me/my-instructions",
        "revision": SHA,
        "commit": SHA,
        "license": "cc-by-4.0",
        "files": None,
        "manifest": {"against": "none", "files": 2, "hashed": 0},  # a source without a manifest: its patterns
    }
    assert entry["sources"]["my-sft"]["files"] == ["data/test.jsonl", "data/train.jsonl"]
    written = export(out, output_dir=tmp_path / "legacy", configs="sft")
    assert sorted(w.path.name for w in written) == ["my-sft_test.json", "my-sft_train.json"]


MAPPING = """\
def to_dpo(row, context):
    return {"prompt": row["q"], "chosen": row["good"], "rejected": row["bad"], "score_chosen": VERSION}


VERSION = 1.0
"""
TOML = f"""\
[[sources]]
name = "my-prefs"
repo_id = "me/prefs"
revision = "{SHA}"
config = "dpo"
mapping = "mapping.py:to_dpo"

[sources.files]
train = ["prefs/*.jsonl"]
"""


def test_a_toml_source_with_a_mapping_function_and_a_cache_that_follows_its_code(hub, tmp_path):
    hub.add_repo("me/prefs", {"prefs/a.jsonl": b'{"q": "Hi?", "good": "Hello!", "bad": "Go."}\n'}, sha=SHA)
    mapping = write(tmp_path / "mapping.py", MAPPING)
    sources_file = write(tmp_path / "apt-sources.toml", TOML)
    out = tmp_path / "apt"
    options = {"only": "my-prefs", "upstream": "hub", "output_dir": out}
    build(["dpo"], sources_file=str(sources_file), **options)
    assert [(r["prompt"], r["chosen"], r["score_chosen"]) for r in rows(out, "dpo")] == [("Hi?", "Hello!", 1.0)]

    mapping.write_text(MAPPING.replace("VERSION = 1.0", "VERSION = 2.5"), encoding="utf-8")
    build(["dpo"], sources_file=str(sources_file), **options)
    # Read the parquet itself: load_dataset keys its cache of a local folder on the card's dataset_info, which
    # this change leaves equal, so it would serve the first build's rows.
    assert pq.read_table(out / "data/dpo/train-00000-of-00001.parquet")["score_chosen"].to_pylist() == [2.5]

    sources_file.write_text(TOML.replace('config = "dpo"', 'config = "dpo"\nlicense = "mit"'), encoding="utf-8")
    build(["dpo"], sources_file=str(sources_file), **options)
    assert read_record(out)["configs"]["dpo"]["sources"]["my-prefs"]["license"] == "mit"


def test_a_mapping_function_that_returns_a_wrong_row_is_named(hub, tmp_path):
    hub.add_repo("me/prefs", {"prefs/a.jsonl": b'{"q": "Hi?", "good": "Hello!", "bad": "Go."}\n'}, sha=SHA)
    write(tmp_path / "mapping.py", 'def to_dpo(row):\n    return {"prompt": row["q"], "answer": "x"}\n')
    sources_file = write(tmp_path / "apt-sources.toml", TOML)
    returned = r"me/prefs/prefs/a.jsonl:1: source 'my-prefs': mapping mapping.py:to_dpo returned fields \['answer'\]"
    with pytest.raises(ConfigError, match=returned + " that config 'dpo' lacks"):
        build(["dpo"], only="my-prefs", upstream="hub", output_dir=tmp_path / "apt", sources_file=str(sources_file))
    assert not (tmp_path / "apt").exists()


def test_the_default_file_is_picked_up_and_listed_beside_the_built_in_sources(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "apt-sources.yaml", YAML)
    assert main(["sources"]) == 0
    listing = capsys.readouterr().out
    assert f"my-sft  me/my-instructions@{SHA}  license: cc-by-4.0  (custom, from apt-sources.yaml)" in listing
    assert "    sft/train: data/train[-_.]*" in listing and "    sft/test: data/test[-_.]*" in listing
    assert "hh-rlhf  Anthropic/hh-rlhf@" in listing and "(built-in)" in listing
    (tmp_path / "apt-sources.yaml").unlink()
    assert use_sources_file() is None
    assert "my-sft" not in SOURCES


def entry(**changes) -> str:
    """One YAML entry: the valid one of YAML with fields changed (None removes a field)."""
    fields = {
        "name": "my-sft",
        "repo_id": "me/my-instructions",
        "config": "sft",
        "files": '["data/*.jsonl"]',
        "columns": "{prompt: question, response: answer}",
    }
    fields = {key: value for key, value in (fields | changes).items() if value is not None}
    lines = [f"{key}: {value}" for key, value in fields.items()]
    return "  - " + "\n    ".join(lines) + "\n"


@pytest.mark.parametrize(
    "text, message",
    [
        ("sources:\n" + entry(colums="{}"), ":7: source 'my-sft' (entry 1), field 'colums': unknown field"),
        ("sources:\n" + entry(config="sfft"), ":4: source 'my-sft' (entry 1), field 'config': expected one of"),
        (
            "sources:\n" + entry(config="sfy"),
            "expected one of ['sft', 'ruozhiba', 'dpo', 'storm'], got 'sfy' (did you mean 'sft'?)",
        ),
        ("sources:\n" + entry(config="loyalty"), "field 'config': expected one of ['sft', 'ruozhiba', 'dpo', 'sto"),
        ("sources:\n" + entry(repo_id=None), ":2: source 'my-sft' (entry 1), field 'repo_id': missing"),
        ("sources:\n" + entry(repo_id="no-slash"), "field 'repo_id': expected 'org/name', got 'no-slash'"),
        ("sources:\n" + entry(revision="1234567"), "field 'revision': expected a string, got 1234567 (quote it"),
        ("sources:\n" + entry(data_dir="data"), "field 'files': give exactly one of 'files' and 'data_dir'"),
        ("sources:\n" + entry(columns="{prompt: question}"), "field 'columns': missing ['response']"),
        ("sources:\n" + entry(columns="{prompt: q, response: a, reply: b}"), "unknown unified fields ['reply']"),
        ("sources:\n" + entry(mapping="x.py:f"), "give exactly one of 'columns' (a column mapping) and 'mapping'"),
        (
            "sources:\n" + entry(columns=None, mapping="no_such_module_here:f"),
            ":6: source 'my-sft' (entry 1), field 'mapping': cannot import 'no_such_module_here'",
        ),
        ("sources:\n" + entry(name="hh-rlhf"), "field 'name': 'hh-rlhf' is taken by a built-in source or config"),
        ("sources:\n" + entry(name="a/b"), "field 'name': expected letters, digits"),
        ("sources:\n" + entry() + entry(), ":7: source 'my-sft' (entry 2), field 'name': 'my-sft' is given to two"),
        ("sources:\n" + entry(files="{train: []}"), "expected a pattern or a list of patterns for split 'train'"),
        ("sources:\n  - just a string\n", ":2: entry 1: expected a mapping of"),
        ("name: my-sft\n", "expected a list of entries under 'sources'"),
        ("sources: [\n", "not valid YAML"),
    ],
)
def test_a_wrong_entry_names_the_file_line_entry_and_field(tmp_path, text, message):
    path = tmp_path / "apt-sources.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_sources_file(path)
    expected = f"{path}{message}" if message.startswith(":") else message  # ":N: ..." is the line after the file
    assert expected in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_every_problem_of_a_file_is_listed_and_toml_lines_are_found(tmp_path):
    path = write(
        tmp_path / "s.toml",
        """\
        [[sources]]
        name = "ok"
        repo_id = "me/ok"
        config = "sft"
        files = ["a.jsonl"]
        columns = {prompt = "q", response = "a"}

        [[sources]]
        name = "bad"
        repo_id = "me/bad"
        config = "storm"
        data_dir = "d"
        splits = "train"

        [sources.columns]
        problem = "q"
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_sources_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 2 problem(s) in the sources file:")
    assert f"{path}:13: source 'bad' (entry 2), field 'splits': expected a list of split names" in message
    assert f"{path}:15: source 'bad' (entry 2), field 'columns': missing ['cot_explicit', 'answer']" in message


@pytest.mark.parametrize(
    "name, text, message",
    [
        (
            "s.yaml",
            "sources:\n  - name: x\n    repo_id: [a\n",
            "s.yaml:4: not valid YAML: while parsing a flow sequence, expected ',' or ']', but got '<stream end>' "
            "(column 1)",
        ),
        (
            "s.yaml",
            "sources:\n  - name: x\n\tconfig: sft\n",
            "s.yaml:3: not valid YAML: while scanning for the next token, found character '\\t' that cannot start any "
            "token (column 1)",
        ),
        ("s.toml", '[[sources]]\nname = "x"\nrepo_id "a"\n', "s.toml:3: not valid TOML: Expected '=' after a key"),
    ],
)
def test_a_sources_file_that_does_not_parse_names_its_line_and_column(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_sources_file(path)
    assert str(caught.value).startswith(f"{tmp_path}/{message}")
    assert "column" in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_sources_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="Sources file not found"):
        build(["sft"], upstream="samples", output_dir=tmp_path / "apt", sources_file=str(tmp_path / "nope.yaml"))


PREFS = {
    "prefs/a.jsonl": b'{"q": "Hi?", "good": "Hello!", "bad": "Go."}\n{"q": "Bye?", "good": "Bye!", "bad": "No."}\n'
}


def build_prefs(tmp_path, mapping: str, **options):
    """Build dpo from the `me/prefs` repo through `mapping.py` (the TOML entry), as the CLI does or in Python."""
    write(tmp_path / "mapping.py", mapping)
    sources_file = write(tmp_path / "apt-sources.toml", TOML)
    return build(["dpo"], only="my-prefs", output_dir=tmp_path / "apt", sources_file=str(sources_file), **options)


def test_a_raising_mapper_is_a_located_row_problem_counted_under_skip(hub, tmp_path):
    hub.add_repo("me/prefs", PREFS, sha=SHA)
    mapping = 'def to_dpo(row):\n    if row["q"] == "Bye?":\n        raise KeyError("answer")\n' + (
        '    return {"prompt": row["q"], "chosen": row["good"], "rejected": row["bad"]}\n'
    )
    with pytest.raises(BadRowError) as caught:
        build_prefs(tmp_path, mapping)
    assert str(caught.value).startswith(
        "me/prefs/prefs/a.jsonl:2: mapping mapping.py:to_dpo raised KeyError: 'answer' (source 'my-prefs'"
    )
    report = build_prefs(tmp_path, mapping, on_bad_rows="skip")
    assert report.configs["dpo"]["counts"]["train"]["my-prefs"] == {"rows": 2, "kept": 1, "dropped_bad_row": 1}


@pytest.mark.parametrize(
    "returned, field, problem",
    [
        ('"domain": "notalist"', None, "returned fields ['domain'] that config 'dpo' lacks"),
        ('"score_chosen": "yes"', "score_chosen", "returned a wrong value: expected number or integer or null"),
        ('"score_chosen": True', "score_chosen", "returned a wrong value: expected number or integer or null"),
        ('"prompt": 5', "prompt", "returned a wrong value: expected string, got integer"),
    ],
)
def test_a_wrong_answer_of_a_mapper_stops_the_build_even_under_skip(hub, tmp_path, returned, field, problem):
    hub.add_repo("me/prefs", PREFS, sha=SHA)
    mapping = f'def to_dpo(row):\n    return {{"prompt": "p", "chosen": "a", "rejected": "b", {returned}}}\n'
    with pytest.raises(ConfigError) as caught:
        build_prefs(tmp_path, mapping, on_bad_rows="skip")
    where = "me/prefs/prefs/a.jsonl:1: source 'my-prefs'" + (f", field {field!r}" if field else "")
    assert str(caught.value).startswith(f"{where}: mapping mapping.py:to_dpo {problem}")


def test_optional_columns_are_typed_not_coerced(hub, tmp_path):
    hub.add_repo("me/qa", {"qa.jsonl": b'{"q": "Hi?", "a": "Hello!", "d": "notalist", "v": "yes"}\n'}, sha=SHA)
    text = f"sources:\n  - {{name: qa, repo_id: me/qa, revision: '{SHA}', config: sft, files: [qa.jsonl], "
    sources_file = write(tmp_path / "s.yaml", text + "columns: {prompt: q, response: a, domain: d}}\n")
    with pytest.raises(BadRowError, match=r"me/qa/qa\.jsonl:1: field 'd': expected list of strings or null, got str"):
        build(["sft"], only="qa", output_dir=tmp_path / "apt", sources_file=str(sources_file))
    sources_file.write_text(text + "columns: {prompt: q, response: a, human_verified: v}}\n", encoding="utf-8")
    with pytest.raises(BadRowError, match=r"me/qa/qa\.jsonl:1: field 'v': expected boolean or null, got string"):
        build(["sft"], only="qa", output_dir=tmp_path / "apt", sources_file=str(sources_file))


def test_an_exit_inside_a_mapper_is_an_error_not_a_silent_success(hub, tmp_path, capsys):
    hub.add_repo("me/prefs", PREFS, sha=SHA)
    write(tmp_path / "mapping.py", "import sys\n\ndef to_dpo(row):\n    sys.exit(0)\n")
    sources_file = write(tmp_path / "apt-sources.toml", TOML)
    args = ["build", "dpo", "--only=my-prefs", f"--output-dir={tmp_path / 'apt'}", f"--sources-file={sources_file}"]
    assert main([*args, "--on-bad-rows=skip"]) == 1
    err = capsys.readouterr().err
    assert err == "error: me/prefs/prefs/a.jsonl:1: source 'my-prefs': mapping mapping.py:to_dpo called exit(0)\n"
    assert not (tmp_path / "apt").exists()


@pytest.mark.parametrize(
    "body",
    [
        "os._exit(0)",
        "os._exit(3)",
        "os.kill(os.getpid(), signal.SIGKILL)",
    ],
)
def test_a_mapping_that_ends_its_process_fails_the_build(hub, tmp_path, body):
    """The mapping runs in a worker process of its own, also with one process: ending it ends the worker, and the
    build, which never got the rows, stops with exit status 1 and the folder as it was."""
    hub.add_repo("me/prefs", PREFS, sha=SHA)
    write(tmp_path / "mapping.py", f"import os, signal\n\ndef to_dpo(row):\n    {body}\n")
    sources_file = write(tmp_path / "apt-sources.toml", TOML)
    out = tmp_path / "apt"
    build(["sft"], upstream="samples", output_dir=out)  # a folder a stale publish would send
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    args = ["build", "dpo", "--only=my-prefs", f"--build-dir={out}", f"--sources-file={sources_file}"]
    result = subprocess.run([sys.executable, "-m", "apt_hub.cli", *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: Converting dpo/train (me/prefs/prefs/a.jsonl) stopped: its worker")
    assert "a mapping of source 'my-prefs' calling os._exit()" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("tag", ["hh-rlhf/helpful-base", "ultrafeedback", "my-prefs/other", ""])
def test_a_custom_source_cannot_give_its_rows_another_source(hub, tmp_path, tag):
    """Counts are kept by the source of the file: rows counted as hh-rlhf's would make impossible counts
    (`sampled_out: -5`), so a mapper that names another source stops the build, naming the row."""
    hub.add_repo("me/prefs", PREFS, sha=SHA)
    returned = f'{{"prompt": row["q"], "chosen": "a", "rejected": "b", "source": {tag!r}}}'
    mapping = f"def to_dpo(row):\n    return {returned}\n"
    with pytest.raises(ConfigError) as caught:
        build_prefs(tmp_path, mapping, upstream="hub", on_bad_rows="skip")
    assert str(caught.value).startswith(
        f"me/prefs/prefs/a.jsonl:1: source 'my-prefs', field 'source': the row mapper gave the row source {tag!r}; "
        "the rows of this file carry 'my-prefs'"
    )
    assert not (tmp_path / "apt").exists()


def test_a_mapper_may_name_its_own_source(hub, tmp_path):
    hub.add_repo("me/prefs", PREFS, sha=SHA)
    returned = '{"prompt": row["q"], "chosen": "a", "rejected": "b", "source": "my-prefs"}'
    mapping = f"def to_dpo(row):\n    return {returned}\n"
    report = build_prefs(tmp_path, mapping, upstream="hub")
    assert report.configs["dpo"]["counts"]["train"] == {"my-prefs": {"rows": 2, "kept": 2}}


@pytest.mark.parametrize(
    "spec, problem",
    [
        ("os:system", "os:system is <built-in function system>, not a Python function: give a function (row, "),
        ("json:JSONDecoder", "json:JSONDecoder is <class 'json.decoder.JSONDecoder'>, not a Python function: giv"),
        ("json:nothing", "'json' has no function 'nothing'"),
        ("broken.py:f", "cannot import 'broken.py': SystemExit: 3"),
    ],
)
def test_a_mapping_that_cannot_map_is_a_clean_error_naming_the_entry(hub, tmp_path, spec, problem):
    hub.add_repo("me/prefs", PREFS, sha=SHA)
    write(tmp_path / "broken.py", "raise SystemExit(3)\n")
    sources_file = write(tmp_path / "apt-sources.toml", TOML.replace("mapping.py:to_dpo", spec))
    with pytest.raises(ConfigError) as caught:
        build(["dpo"], only="my-prefs", output_dir=tmp_path / "apt", sources_file=str(sources_file))
    assert str(caught.value).startswith(f"{sources_file}:6: source 'my-prefs' (entry 1), field 'mapping': {problem}")


def test_a_mapping_file_runs_only_when_it_converts_rows(hub, tmp_path, monkeypatch):
    hub.add_repo("me/prefs", PREFS, sha=SHA)
    marker = tmp_path / "imported"
    write(tmp_path / "mapping.py", f"open({str(marker)!r}, 'a').write('x')\n\n" + MAPPING)
    sources_file = write(tmp_path / "apt-sources.toml", TOML)
    monkeypatch.chdir(tmp_path)
    assert main(["sources"]) == 0
    build(["sft"], upstream="samples", output_dir=tmp_path / "apt", sources_file=str(sources_file))
    assert not marker.exists()
    build(["dpo"], only="my-prefs", output_dir=tmp_path / "apt", sources_file=str(sources_file))
    assert marker.read_text() == "x"


@pytest.mark.parametrize(
    "text",
    [
        'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
        + "".join(f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
        + "sources: [*i]\n",
        "sources: &s [*s]\n",
    ],
    ids=["billion-laughs", "alias-of-itself"],
)
def test_yaml_aliases_that_expand_without_end_are_refused_in_one_short_line(tmp_path, text):
    path = tmp_path / "apt-sources.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="aliases .* expand to more than 100,000 values") as caught:
        load_sources_file(path)
    assert len(str(caught.value)) < 200 and "\n" not in str(caught.value)


@pytest.mark.skipif(not os.environ.get("APT_HUB_STRESS"), reason="make stress: every misbehaviour at every row")
@pytest.mark.parametrize("num_proc", [1, 2])
@pytest.mark.parametrize("misbehaviour", MISBEHAVIOURS)
def test_every_misbehaviour_of_a_mapping_at_every_row_fails_in_one_line_or_is_counted(misbehaviour, num_proc):
    for at in range(6):
        for skip in (False, True):
            build_with_a_mapping_that(misbehaviour, at=at, files=2, num_proc=num_proc, skip=skip)


def build_qa(tmp_path, capsys, columns: str, *options: str) -> tuple[int, str, Path]:
    """Run `apt-hub build sft --only my-sft` over the `me/my-instructions` repo with the entry's `columns`."""
    text = "sources:\n" + entry(revision=f'"{SHA}"', files='["data/train.jsonl"]', columns=columns)
    sources_file = write(tmp_path / "apt-sources.yaml", text)
    args = ["build", "sft", "--only=my-sft", f"--output-dir={tmp_path / 'apt'}", f"--sources-file={sources_file}"]
    return main([*args, *options]), capsys.readouterr().err, sources_file


def parquet_bytes(rows: list[dict]) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue().to_pybytes()


@pytest.mark.parametrize("options", [(), ("--on-bad-rows=skip",)])
def test_a_mapped_column_the_data_lacks_is_a_mistake_of_the_sources_file(instructions, tmp_path, capsys, options):
    status, err, sources_file = build_qa(tmp_path, capsys, "{prompt: questoin, response: answer}", *options)
    assert status == 1
    assert err == (
        f"error: {sources_file}:6: source 'my-sft' (entry 1), field 'columns.prompt': column 'questoin' is not in "
        "me/my-instructions/data/train.jsonl, whose columns are 'answer', 'kind', 'question' "
        "(did you mean 'question'?)\n"
    )
    assert not (tmp_path / "apt").exists()


def test_the_line_of_a_column_mapping_is_found_in_block_yaml_and_in_toml_tables(hub, tmp_path):
    hub.add_repo("me/qa", {"qa.parquet": parquet_bytes([{"question": "Hi?", "answer": "Hello!"}])}, sha=SHA)
    head = f"sources:\n  - name: qa\n    repo_id: me/qa\n    revision: '{SHA}'\n    config: sft\n"
    head += "    files: [qa.parquet]\n"
    yaml_file = write(tmp_path / "s.yaml", head + "    columns:\n      prompt: question\n      response: answre\n")
    toml_file = write(
        tmp_path / "s.toml",
        f'[[sources]]\nname = "qa"\nrepo_id = "me/qa"\nrevision = "{SHA}"\nconfig = "sft"\nfiles = ["qa.parquet"]\n'
        '\n[sources.columns]\nprompt = "question"\nresponse = "answre"\n',
    )
    for sources_file, line in [(yaml_file, 9), (toml_file, 10)]:
        with pytest.raises(ConfigError) as caught:
            build(["sft"], only="qa", output_dir=tmp_path / "apt", sources_file=str(sources_file))
        assert str(caught.value) == (
            f"{sources_file}:{line}: source 'qa' (entry 1), field 'columns.response': column 'answre' is not in "
            "me/qa/qa.parquet, whose columns are 'answer', 'question' (did you mean 'answer'?)"
        )


def test_a_later_row_without_a_mapped_column_stays_a_bad_row(hub, tmp_path):
    lines = [{"question": "Hi?", "answer": "Hello!"}, {"question": "Bye?"}, {"question": "Why?", "answer": "So."}]
    hub.add_repo("me/my-instructions", {"data/train.jsonl": "\n".join(map(json.dumps, lines)).encode()}, sha=SHA)
    sources_file = write(tmp_path / "s.yaml", "sources:\n" + entry(revision=f'"{SHA}"'))
    options = {"only": "my-sft", "output_dir": tmp_path / "apt", "sources_file": str(sources_file)}
    with pytest.raises(BadRowError, match=r"data/train\.jsonl:2: field 'answer': missing field .* --on-bad-rows skip"):
        build(["sft"], **options)
    report = build(["sft"], on_bad_rows="skip", **options)
    assert report.configs["sft"]["counts"]["train"]["my-sft"]["dropped_bad_row"] == 1
