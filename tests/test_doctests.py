"""The examples in the docstrings of apt_hub and its builders run, each module under the isolated HF home."""

import doctest
import importlib
import pkgutil

import apt_hub.builders as builders
import pytest

import apt_hub


def module_names() -> list[str]:
    names = []
    for package in (apt_hub, builders):
        names.append(package.__name__)
        names += [m.name for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
    return sorted(names)


@pytest.mark.parametrize("name", module_names())
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    module = importlib.import_module(name)
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, name):
        runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} of {attempted} examples of {name} failed (see the output above)"


def test_the_examples_are_found():
    examples = sum(
        len(test.examples)
        for name in module_names()
        for test in doctest.DocTestFinder().find(importlib.import_module(name), name)
    )
    assert examples >= 20
