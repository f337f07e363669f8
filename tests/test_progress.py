"""Progress bars show on a terminal and stay quiet otherwise, ours and those of the HF libraries."""

import importlib
import io

import datasets
import huggingface_hub.utils as hub_utils
import pytest

from apt_hub import progress

# The modules, not the `tqdm` classes their packages export under the same name.
datasets_tqdm = importlib.import_module("datasets.utils.tqdm")
hub_tqdm = importlib.import_module("huggingface_hub.utils.tqdm")


@pytest.fixture
def switchable_bars(monkeypatch):
    """Bars the code may switch: the environment variables the test setup sets (read at import) are unset here,
    and the libraries' switches are restored afterwards."""
    monkeypatch.setattr(datasets_tqdm, "HF_DATASETS_DISABLE_PROGRESS_BARS", None)
    monkeypatch.setattr(datasets_tqdm, "_hf_datasets_progress_bars_disabled", False)
    monkeypatch.setattr(hub_tqdm, "HF_HUB_DISABLE_PROGRESS_BARS", None)
    monkeypatch.setattr(hub_tqdm, "progress_bar_states", {})


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_draws_on_a_terminal_and_not_into_a_pipe():
    terminal, pipe = Terminal(), io.StringIO()
    assert list(progress.bar(range(3), desc="Converting x", file=terminal)) == [0, 1, 2]
    assert list(progress.bar(range(3), desc="Converting x", file=pipe)) == [0, 1, 2]
    assert "Converting x" in terminal.getvalue()
    assert pipe.getvalue() == ""


def test_library_bars_are_silenced_off_a_terminal_and_restored(monkeypatch, switchable_bars):
    monkeypatch.setattr(progress, "interactive", lambda stream=None: False)
    assert datasets.is_progress_bar_enabled() and not hub_utils.are_progress_bars_disabled()
    with progress.library_bars():
        assert not datasets.is_progress_bar_enabled()
        assert hub_utils.are_progress_bars_disabled()
    assert datasets.is_progress_bar_enabled()
    assert not hub_utils.are_progress_bars_disabled()


def test_library_bars_are_left_alone_on_a_terminal(monkeypatch, switchable_bars):
    monkeypatch.setattr(progress, "interactive", lambda stream=None: True)
    with progress.library_bars():
        assert datasets.is_progress_bar_enabled() and not hub_utils.are_progress_bars_disabled()


def test_a_build_writes_no_bar_into_a_captured_stderr(tmp_path, capfd, switchable_bars):
    from apt_hub.build import build

    build(["ruozhiba"], upstream="samples", output_dir=tmp_path / "apt")
    captured = capfd.readouterr()
    assert "Generating" not in captured.err and "Converting" not in captured.err and "%|" not in captured.err
