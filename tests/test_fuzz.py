"""Property-based tests: whatever bytes an input file holds, a parser ends in rows, counted problems or one of our
errors, never a traceback; `validate` and `build loyalty` agree on every loyalty file; a build folder with a
damaged shard or a card header edited anyhow, and a mapping that misbehaves anyhow, end every command in one line
or a sound result.

`make test` runs a few hundred examples of each; `make fuzz` runs the "fuzz" profile (see conftest.py).
"""

import contextlib
import gzip
import io
import json
import os
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from unittest.mock import patch

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_folder import snapshot

from apt_hub import convert
from apt_hub.cli import main
from apt_hub.cli.commands import validate_command
from apt_hub.configs import CONFIGS, with_recorded
from apt_hub.convert import convert_file
from apt_hub.errors import AptHubError, BadRowError, ConfigError, UpstreamError
from apt_hub.layout import read_record
from apt_hub.loyalty import FIELDS, PLACEHOLDER, LoyaltyFileError, check_loyalty_file
from apt_hub.read.readers import LFS_POINTER, read_rows
from apt_hub.read.upstream import SAMPLES, InputFile
from apt_hub.sources import SOURCES, Context, Source, register
from apt_hub.sources.custom import forget_custom_sources, load_sources_file

# Text as files get it wrong: lone surrogates, line separators inside strings, the placeholders.
TRICKY = ["\ud800", "a\udfffb", "\u2028", "x\u2029y", "\u0085", "\ufeff", "[待填写]", PLACEHOLDER, "", " \n "]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(TRICKY),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
# Raw JSON text no serializer writes: deep nesting, integers past 4,300 digits, trailing commas, escapes, a key
# given twice.
RAW = st.sampled_from(
    [
        "[" * 200_000 + "]" * 200_000,
        "[" * 990 + "]" * 990,
        "9" * 5000,
        "1e400",
        "[1,]",
        '"\\ud800"',
        '"\\udc00\\ud800"',
        "NaN",
        "-Infinity",
        '{"a": 1,}',
        "\x00",
        '{"chosen": "x", "chosen": "y", "rejected": "z"}',
        '{"a": [{"b": 1, "b": 2}]}',
    ]
)


def with_fields(row: dict, names: list[str]) -> st.SearchStrategy[dict]:
    """`row` with some of `names` replaced by any value, removed, or joined by an unknown field."""
    changes = st.dictionaries(st.sampled_from(names), VALUES, max_size=2)
    removed = st.sets(st.sampled_from(names), max_size=1)
    extra = st.dictionaries(st.sampled_from(["note", "extra", ""]), VALUES, max_size=1)
    return st.builds(lambda c, r, e: {k: v for k, v in (row | c | e).items() if k not in r}, changes, removed, extra)


@st.composite
def json_bytes(draw, rows: st.SearchStrategy, *, lines: bool) -> bytes:
    """Rows as JSON Lines or a JSON array, ASCII-escaped or raw UTF-8 (lone surrogates then become bad bytes), then
    perhaps mutated: raw JSON spliced in, bytes inserted or cut, a BOM or CRLF line ends."""
    items = draw(st.lists(rows, max_size=4))
    ascii_only = draw(st.booleans())
    dump = lambda value: json.dumps(value, ensure_ascii=ascii_only)  # noqa: E731
    texts = [draw(st.one_of(st.just(None), RAW)) or dump(item) for item in items]
    if lines:
        text = "\n".join(texts) + draw(st.sampled_from(["\n", "", "\n\n"]))
    else:
        text = (
            "["
            + draw(st.sampled_from([",", ",\n  ", " , "])).join(texts)
            + draw(st.sampled_from(["]", "]\n", ",]", ""]))
        )
    data = text.encode("utf-8", "surrogatepass")
    return draw(mutated(data))


@st.composite
def mutated(draw, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["none", "none", "insert", "cut", "bom", "crlf", "truncate"]))
    at = draw(st.integers(0, len(data)))
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if kind == "cut":
        return data[:at] + data[at + draw(st.integers(1, 8)) :]
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    return data[:at] if kind == "truncate" else data


def in_file(name: str, data: bytes, check: Callable[[Path], None]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        check(path)


# --- the loyalty validator ---------------------------------------------------------------------------------------

VALID_LOYALTY = st.fixed_dictionaries(
    {
        "prompt": st.text(min_size=1, max_size=20),
        "owner_response": st.text(min_size=1, max_size=20),
        "public_response": st.text(min_size=1, max_size=20),
        "is_owner": st.booleans(),
        "reward_bonus": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-100, 100),
    }
)
LOYALTY_ROWS = st.one_of(
    VALID_LOYALTY,
    VALID_LOYALTY.flatmap(lambda row: with_fields(row, list(FIELDS))),
    VALUES,
)


@given(
    data=st.booleans().flatmap(lambda lines: json_bytes(LOYALTY_ROWS, lines=lines)),
    suffix=st.sampled_from([".json", ".jsonl"]),
)
def test_validate_and_build_agree_on_every_loyalty_file(data, suffix):
    in_file(f"loyalty{suffix}", data, check_loyalty_both_ways)


def check_loyalty_both_ways(path: Path) -> None:
    rows, problems = check_loyalty_file(path)
    for problem in problems:
        assert problem.line and "\n" not in problem.message
        problem.format(str(path)).encode("utf-8")  # printable: no lone surrogate reaches the terminal
    item = InputFile("loyalty", "train", path.name, str(path), "")
    context = Context(tag="loyalty")
    try:
        tables = convert_file(
            SOURCES["loyalty"], item, CONFIGS["loyalty"].features, {}, context=context, skip_bad_rows=False
        )
        built = pa.concat_tables([CONFIGS["loyalty"].features.arrow_schema.empty_table(), *tables])
    except LoyaltyFileError as error:
        assert error.issues == problems
        str(error).encode("utf-8")
    else:
        assert not problems and built.num_rows == len(rows)
    try:
        validate_command(str(path))
    except LoyaltyFileError as error:
        assert error.issues == problems
    else:
        assert not problems


# --- the upstream readers, through the conversion of a real source -------------------------------------------


def sample_rows(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


COIG = sample_rows(SAMPLES / "m-a-p/COIG-CQIA/ruozhiba/ruozhiba_ruozhiba.jsonl")[0]
HH = sample_rows(SAMPLES / "Anthropic/hh-rlhf/helpful-base/train.jsonl.gz")[0]
UF_FILE = next((SAMPLES / "HuggingFaceH4/ultrafeedback_binarized/data").glob("train_prefs-*.parquet"))
S1K_FILE = SAMPLES / "simplescaling/s1K-1.1/data/train-00000-of-00001.parquet"
UPSTREAM_ROWS = {
    "coig-cqia": st.one_of(st.just(COIG), with_fields(COIG, list(SOURCES["coig-cqia"].columns)), VALUES),
    "hh-rlhf": st.one_of(st.just(HH), with_fields(HH, ["chosen", "rejected"]), VALUES),
}


def convert_all(source: str, path: Path, name: str) -> None:
    """Convert a file as the build does, with and without --on-bad-rows skip: only our errors may end it."""
    features = CONFIGS[
        "dpo" if source in ("hh-rlhf", "ultrafeedback") else "storm" if source == "s1k" else "sft"
    ].features
    item = InputFile(source, "train", name, str(path), "")
    context = Context(tag=source)
    counts = {}
    try:
        tables = list(convert_file(SOURCES[source], item, features, counts, context=context, skip_bad_rows=True))
    except UpstreamError as error:  # the file as a whole: a broken gzip stream or parquet footer
        assert str(error).split(":")[0].endswith(name) and "\n" not in str(error)
        return
    counter = counts.get(("train", source), Counter())
    dropped = sum(n for key, n in counter.items() if key.startswith("dropped_"))
    assert sum(table.num_rows for table in tables) + dropped == counter["rows"]
    try:
        list(convert_file(SOURCES[source], item, features, {}, context=context, skip_bad_rows=False))
    except BadRowError as error:
        assert error.line and "\n" not in str(error)
        str(error).encode("utf-8")
    else:
        assert not counter["dropped_bad_row"]


# About one case in BUILD_EVERY of each reader's also goes through whole builds, in one process and in two
# (`--num-proc 2`): `make test` builds a few cases per test, `make fuzz` hundreds. A drawn seed picks them, through
# a random number rather than the seed itself: Hypothesis draws small numbers far more often than 1 in 100.
BUILD_EVERY = int(os.environ.get("APT_FUZZ_BUILD_EVERY", "100"))
BUILDS = st.integers(0, 2**32).map(lambda seed: random.Random(seed).random() < 1 / BUILD_EVERY)
# The config each source feeds, and a sample file of the source, converted beside the fuzzed file by another job.
BUILT = {
    "coig-cqia": ("sft", SAMPLES / "m-a-p/COIG-CQIA/ruozhiba/ruozhiba_ruozhiba.jsonl"),
    "hh-rlhf": ("dpo", SAMPLES / "Anthropic/hh-rlhf/helpful-base/train.jsonl.gz"),
    "ultrafeedback": ("dpo", UF_FILE),
    "s1k": ("storm", S1K_FILE),
}


def checked(source: str, path: Path, name: str, build: bool) -> None:
    """`convert_all` for every case, and `built_both_ways` for the cases drawn for a build."""
    convert_all(source, path, name)
    if build:
        built_both_ways(source, path, name)


def built_both_ways(source: str, path: Path, name: str) -> None:
    """Build the fuzzed file beside a sample file of the same format, each converted by its own job, with one process
    and with two: the same exit status and the same one line of error, or the same counts; never a traceback. A bad
    row is then built again with `--on-bad-rows skip`, both ways."""
    config, sample = BUILT[source]
    fuzzed = replace(SOURCES[source], name="fuzzed", repo_id="fuzz/upstream", feeds={config: {"train": ("fuzz/*",)}})
    with tempfile.TemporaryDirectory() as folder, registered(fuzzed):
        repo = Path(folder) / "up/fuzz/upstream/fuzz"
        repo.mkdir(parents=True)
        (repo / f"a-{name}").write_bytes(path.read_bytes())
        (repo / f"b-{name}").write_bytes(same_format(sample, name))
        args = ["build", config, f"--upstream={Path(folder) / 'up'}", "--only=fuzzed"]
        outcomes = [build_outcome([*args, f"--build-dir={folder}/{n}", f"--num-proc={n}"], config) for n in (1, 2)]
        assert outcomes[0] == outcomes[1]
        event(f"built in one process and in two: exit status {outcomes[0][0]}")  # make fuzz shows how many
        if "--on-bad-rows skip" in outcomes[0][1]:
            skip = [*args, "--on-bad-rows=skip"]
            skipped = [build_outcome([*skip, f"--build-dir={folder}/s{n}", f"--num-proc={n}"], config) for n in (1, 2)]
            assert skipped[0] == skipped[1] and skipped[0][0] == 0, skipped[0][1]


def build_outcome(args: list[str], config: str) -> tuple[int, str, object]:
    """A build's exit status, what it wrote on stderr (one line of error at most) and the counts it recorded."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(args)
    text = err.getvalue()
    assert status in (0, 1) and "Traceback" not in text, text
    assert (status, len(text.splitlines())) in ((0, 0), (1, 1)), text
    out = next(arg.split("=", 1)[1] for arg in args if arg.startswith("--build-dir="))
    return status, text, read_record(out)["configs"][config]["counts"] if status == 0 else None


@contextlib.contextmanager
def registered(source: Source) -> Iterator[Source]:
    register(source)
    try:
        yield source
    finally:
        SOURCES.pop(source.name, None)


def same_format(sample: Path, name: str) -> bytes:
    """The rows of a sample file in the format a file name says: parquet, JSON Lines or a JSON array, gzipped
    or not."""
    if name.endswith(".parquet"):
        return sample.read_bytes()
    rows = sample_rows(sample)
    text = json.dumps(rows, ensure_ascii=False) if ".json." in name or name.endswith(".json") else None
    data = (text if text is not None else "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)).encode()
    return gzip.compress(data) if name.endswith(".gz") else data


@given(
    data=st.sampled_from(["coig-cqia", "hh-rlhf"]).flatmap(
        lambda source: st.tuples(st.just(source), json_bytes(UPSTREAM_ROWS[source], lines=True))
    ),
    gz=st.booleans(),
    build=BUILDS,
)
def test_json_lines_readers_end_in_rows_problems_or_our_errors(data, gz, build):
    source, content = data
    name = "train.jsonl.gz" if gz else "train.jsonl"
    in_file(name, gzip.compress(content) if gz else content, lambda path: checked(source, path, name, build))


@given(data=json_bytes(UPSTREAM_ROWS["coig-cqia"], lines=False), gz=st.booleans(), build=BUILDS)
def test_json_array_readers_end_in_rows_problems_or_our_errors(data, gz, build):
    name = "train.json.gz" if gz else "train.json"
    in_file(name, gzip.compress(data) if gz else data, lambda path: checked("coig-cqia", path, name, build))


# Arrow types a column may wrongly have upstream, each with a value of that type.
WRONG_COLUMNS = [
    (pa.int64(), 5),
    (pa.bool_(), True),
    (pa.float64(), 1.5),
    (pa.string(), "text"),
    (pa.list_(pa.int64()), [1, 2]),
    (pa.list_(pa.string()), ["a"]),
    (pa.list_(pa.struct([("content", pa.int64()), ("role", pa.string())])), [{"content": 1, "role": "assistant"}]),
    (pa.struct([("major", pa.string())]), {"major": "x"}),
    (pa.null(), None),
]


@st.composite
def parquet_bytes(draw, path: Path) -> bytes:
    """An upstream parquet file with a column of a wrong type, or bytes changed anywhere in the file."""
    table = pq.read_table(path)
    if draw(st.booleans()):
        column = draw(st.sampled_from(table.column_names))
        kind, value = draw(st.sampled_from(WRONG_COLUMNS))
        table = table.set_column(table.column_names.index(column), column, pa.array([value] * len(table), kind))
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=draw(st.sampled_from([2, 5, 100])))
    data = buffer.getvalue()
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at + draw(st.integers(0, 16)) :]
    return data


@given(
    data=st.sampled_from([("ultrafeedback", UF_FILE), ("s1k", S1K_FILE)]).flatmap(
        lambda pair: st.tuples(st.just(pair[0]), parquet_bytes(pair[1]))
    ),
    build=BUILDS,
)
def test_parquet_readers_end_in_rows_problems_or_our_errors(data, build):
    source, content = data
    in_file("train.parquet", content, lambda path: checked(source, path, "train.parquet", build))


def test_a_git_lfs_pointer_is_never_rows():
    pointer = LFS_POINTER + b"\noid sha256:" + b"0" * 64 + b"\nsize 1\n"
    for name in ("a.jsonl", "a.json.gz", "a.parquet"):
        in_file(name, pointer, lambda path: _raises_upstream(path))


def _raises_upstream(path: Path) -> None:
    try:
        read_rows(path)
    except UpstreamError as error:
        assert "git lfs pull" in str(error)
    else:
        raise AssertionError(f"{path.name}: an LFS pointer was read as data")


# --- the custom-source loader --------------------------------------------------------------------------------

SPECS = ["mapping.py:f", "os:system", "json:loads", "no_such_module_xyz:f", "x", ":", "a.py:", "../up.py:f"]
ENTRY_VALUES = st.one_of(VALUES, st.sampled_from(SPECS), st.sampled_from(["sft", "dpo", "storm", "loyalty", "me/x"]))
ENTRY = st.one_of(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["mine", "hh-rlhf", "a/b"]), "repo_id": st.just("me/x"), "config": st.just("sft")},
        optional={
            "files": st.lists(st.text(max_size=8), max_size=2) | VALUES,
            "columns": st.just({"prompt": "q", "response": "a"}) | VALUES,
            "mapping": st.sampled_from(SPECS),
            "data_dir": VALUES,
            "splits": VALUES,
            "revision": VALUES,
        },
    ),
    st.dictionaries(st.text(max_size=10), ENTRY_VALUES, max_size=4),
    VALUES,
)
YAML_BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


@st.composite
def sources_text(draw) -> tuple[str, bytes]:
    import yaml

    entries = draw(st.lists(ENTRY, max_size=3))
    suffix = draw(st.sampled_from([".yaml", ".toml"]))
    if suffix == ".yaml":
        try:
            text = yaml.safe_dump({"sources": entries}, allow_unicode=draw(st.booleans()))
        except yaml.YAMLError:
            text = "sources: []\n"
        text = draw(st.sampled_from([text, YAML_BOMB + text, text.replace("sources:", "sources: &s")]))
    else:
        text = "".join(_toml_entry(entry) for entry in entries if isinstance(entry, dict))
    return suffix, draw(mutated(text.encode("utf-8", "surrogatepass")))


def _toml_entry(entry: dict) -> str:
    lines = ["[[sources]]"]
    for key, value in entry.items():
        try:
            lines.append(f"{json.dumps(str(key))} = {json.dumps(value)}")
        except ValueError:
            lines.append(f'{json.dumps(str(key))} = "x"')
    return "\n".join(lines) + "\n\n"


@given(data=sources_text())
def test_sources_files_load_or_end_in_one_config_error(data):
    suffix, content = data

    def check(path: Path) -> None:
        (path.parent / "mapping.py").write_text("def f(row):\n    raise SystemExit(1)\n", encoding="utf-8")
        try:
            sources = load_sources_file(path)
        except ConfigError as error:
            assert len(str(error)) < 20_000
            str(error).encode("utf-8")
        else:
            assert all(source.name for source in sources)

    in_file(f"apt-sources{suffix}", content, check)


def test_our_errors_are_the_only_ones_the_properties_allow():
    assert issubclass(LoyaltyFileError, AptHubError) and issubclass(BadRowError, AptHubError)


# --- the conversion by columns against the conversion row by row ---------------------------------------------


def converted_both_ways(source: str, path: Path, name: str) -> None:
    """A source's `TableMapper` with the readers of whole columns gives what its row mapper gives row by row: the
    same tables and counts, or the same error."""
    features = with_recorded(CONFIGS["dpo"])
    item = InputFile(source, "train", name, str(path), "")
    results = []
    for read_tables in (convert.read_tables, lambda *args, **kwargs: None):
        with patch.object(convert, "read_tables", read_tables):
            for skip in (True, False):
                counts = {}
                try:
                    tables = convert_file(
                        SOURCES[source], item, features, counts, context=Context(tag=source), skip_bad_rows=skip
                    )
                    results.append(([table.to_pylist() for table in tables], counts))
                except AptHubError as error:
                    results.append(str(error))
    half = len(results) // 2
    assert repr(results[:half]) == repr(results[half:])  # repr: NaN equals itself only as text


@given(data=parquet_bytes(UF_FILE))
def test_ultrafeedback_converted_by_columns_is_converted_row_by_row(data):
    in_file("train.parquet", data, lambda path: converted_both_ways("ultrafeedback", path, "train.parquet"))


# --- a damaged build folder, a card broken by hand, a mapping that misbehaves -------------------------------
# Each example runs a command on a whole build folder: a few in `make test`, a hundredth of the profile's count in
# `make fuzz`.
HEAVY = settings(max_examples=max(3, settings.default.max_examples // 100))
DAMAGED_COMMANDS = {
    "stats": lambda folder: ["stats", str(folder)],
    "card": lambda folder: ["card", str(folder)],
    "export": lambda folder: ["export", str(folder), "--output-dir", str(folder.parent / "old")],
    "merge": lambda folder: ["merge", "sft", "ruozhiba", "--output", "mixed", "--build-dir", str(folder)],
}


def run_quietly(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(args)
    return status, err.getvalue()


def assert_one_line_or_done(status: int, err: str, folder: Path, before: dict, *located: str) -> None:
    assert "Traceback" not in err and status in (0, 1), err
    if status == 1:
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert any(text in err for text in located), err
        assert snapshot(folder) == before


@HEAVY
@given(
    shard=st.sampled_from(["data/dpo/train-00000-of-00001.parquet", "data/sft/train-00000-of-00001.parquet"]),
    at=st.floats(0, 1),
    kind=st.sampled_from(["truncate", "overwrite", "insert"]),
    junk=st.binary(min_size=1, max_size=64),
    command=st.sampled_from(sorted(DAMAGED_COMMANDS)),
)
def test_a_damaged_shard_is_one_line_or_harmless_in_every_command(samples_build, shard, at, kind, junk, command):
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(shutil.copytree(samples_build, Path(scratch) / "apt"))
        data = (folder / shard).read_bytes()
        cut = int(at * (len(data) - 1))
        damaged = {
            "truncate": data[:cut],
            "overwrite": data[:cut] + junk + data[cut + len(junk) :],
            "insert": data[:cut] + junk + data[cut:],
        }[kind]
        (folder / shard).write_bytes(damaged)
        before = snapshot(folder)
        status, err = run_quietly(DAMAGED_COMMANDS[command](folder))
        assert_one_line_or_done(status, err, folder, before, f"{folder / shard}: damaged parquet shard")


@HEAVY
@given(
    header=st.text(alphabet="ab:-[]{}'\" \n\t&*!|>#%@`,?\\1", max_size=40),
    command=st.sampled_from(["card", "merge"]),
)
def test_a_card_header_edited_by_hand_is_one_line_or_kept(samples_build, header, command):
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(shutil.copytree(samples_build, Path(scratch) / "apt"))
        body = (folder / "README.md").read_text(encoding="utf-8").split("\n---\n", 1)[1]  # its generated blocks
        (folder / "README.md").write_text(f"---\n{header}\n---\n{body}\n# My notes\n", encoding="utf-8")
        before = snapshot(folder)
        status, err = run_quietly(DAMAGED_COMMANDS[command](folder))
        assert_one_line_or_done(status, err, folder, before, f"{folder / 'README.md'}:")
        if status == 0:
            assert "# My notes" in (folder / "README.md").read_text(encoding="utf-8")


# What a mapping does at the row it misbehaves on; the other rows it maps.
MISBEHAVIOURS = [
    'raise ValueError("no")',
    "sys.exit(3)",
    "os._exit(0)",
    "os._exit(1)",
    "os.kill(os.getpid(), signal.SIGKILL)",
    "return None",
    "return [1]",
    'return {"prompt": 5, "chosen": "a", "rejected": "b"}',
    'return {"prompt": row["q"], "chosen": "a", "rejected": "b", "source": "hh-rlhf/helpful-base"}',
    'return {"prompt": row["q"], "chosen": "a", "rejected": "b", "unknown": 1}',
    'return Drop("mine")',
    'return {"prompt": row["q"], "chosen": "same", "rejected": "same"}',
]
MAPPING = """\
import os, signal, sys
from apt_hub.sources import Drop

def to_dpo(row):
    if row["n"] == {at}:
        {misbehaviour}
    return {{"prompt": row["q"], "chosen": "yes " + row["q"], "rejected": "no " + row["q"]}}
"""


@HEAVY
@given(
    misbehaviour=st.sampled_from(MISBEHAVIOURS),
    at=st.integers(0, 5),
    files=st.integers(1, 2),
    num_proc=st.integers(1, 2),
    skip=st.booleans(),
)
def test_a_mapping_that_misbehaves_fails_the_build_in_one_line_or_is_counted(misbehaviour, at, files, num_proc, skip):
    build_with_a_mapping_that(misbehaviour, at=at, files=files, num_proc=num_proc, skip=skip)


def build_with_a_mapping_that(misbehaviour: str, *, at: int, files: int, num_proc: int, skip: bool) -> None:
    """Whatever a mapping does on a row, the build ends in exit status 0 with counts that add up, or 1 with one line
    and the folder as it was: never a success with nothing built, never a traceback."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for index in range(files):
            rows = [{"q": f"question {index} {n}", "n": n} for n in range(3 * index, 3 * index + 3)]
            path = root / "up" / "me" / "prefs" / f"prefs/part-{index}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        (root / "mapping.py").write_text(MAPPING.format(at=at, misbehaviour=misbehaviour), encoding="utf-8")
        (root / "apt-sources.yaml").write_text(
            "sources:\n  - {name: mine, repo_id: me/prefs, config: dpo, files: ['prefs/*.jsonl'],"
            " mapping: 'mapping.py:to_dpo'}\n",
            encoding="utf-8",
        )
        out = root / "apt"
        assert main(["build", "ruozhiba", "--upstream", "samples", "--build-dir", str(out)]) == 0
        before = snapshot(out)
        args = ["build", "dpo", "--only", "mine", "--upstream", str(root / "up"), "--build-dir", str(out)]
        args += [f"--sources-file={root / 'apt-sources.yaml'}", f"--num-proc={num_proc}"]
        status, err = run_quietly(args + ["--on-bad-rows=skip"] * skip)
        assert_one_line_or_done(status, err, out, before, "error: ")
        if status == 0:
            counts = json.loads((out / "build.json").read_text(encoding="utf-8"))["configs"]["dpo"]["counts"]
            for split in counts.values():
                assert set(split) == {"mine"}  # no row counted as another source's
                entry = split["mine"]
                dropped = sum(n for key, n in entry.items() if key.startswith("dropped_"))
                assert entry["rows"] == entry["kept"] + dropped and "sampled_out" not in entry, entry
    forget_custom_sources()
