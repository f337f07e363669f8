"""`apt-hub menu`: the data side of the old APT launcher as a terminal menu.

Every action calls the function of the matching command (`build`, `stats`, `loyalty-template`, `validate`,
`export`), so the menu does nothing the commands do not, and every answer for an option is converted and checked by
that option's declaration (`apt_hub.options.convert`), as on the command line. A wrong answer asks again; the end
of input or `0` leaves the menu; Ctrl-C interrupts it (exit status 130), without a traceback.
"""

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..configs import CONFIGS
from ..errors import AptHubError, check_input_file, os_error_message, redact
from ..layout import DEFAULT_EXPORT_DIR, DEFAULT_OUTPUT_DIR
from ..options import Option, UsageError, convert


class _Leave(Exception):
    """The user asked to quit, or the input ended."""


@dataclass
class Settings:
    """What the next build reads and writes; `None` configs or sources mean all of them."""

    configs: list[str] | None = None
    sources: list[str] | None = None
    max_samples: int | None = None
    upstream: str = "hub"
    output_dir: str = DEFAULT_OUTPUT_DIR
    # The local files of sources that read one (`Source.file_option`), by option name, such as `loyalty_file`.
    files: dict[str, str | None] = field(default_factory=lambda: {"loyalty_file": None})
    export_dir: str = DEFAULT_EXPORT_DIR

    def describe(self) -> str:
        files = "".join(f" | {name.replace('_', ' ')}: {path or 'none'}" for name, path in self.files.items())
        return (
            f"configs: {', '.join(self.configs or ['all'])} | sources: {', '.join(self.sources or ['all'])} | "
            f"max samples: {self.max_samples or 'all'} | upstream: {self.upstream} | build folder: {self.output_dir}"
            + files
        )


@dataclass
class Menu:
    """A menu reading answers from `stdin` and writing to `stdout`."""

    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    settings: Settings = field(default_factory=Settings)

    def say(self, text: str = "") -> None:
        print(redact(text), file=self.stdout, flush=True)

    def ask(self, question: str, default: str | None = None) -> str:
        """One line of answer, stripped; the default for an empty answer. Ends the menu at the end of input."""
        shown = f" [{default}]" if default is not None else ""
        self.stdout.write(f"{question}{shown}: ")
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            raise _Leave
        answer = line.strip()
        return answer if answer or default is None else default

    def ask_until(self, question: str, parse: Callable[[str], Any], default: str | None = None) -> Any:
        """Ask until `parse` accepts the answer; `parse` raises `ValueError` or `UsageError` with the reason to ask
        again."""
        while True:
            answer = self.ask(question, default)
            try:
                return parse(answer)
            except (ValueError, UsageError) as error:
                self.say(f"  {error}")

    def ask_option(self, question: str, declared: Option, default: Any) -> Any:
        """Ask for the value of an option until its declaration accepts it."""
        return self.ask_until(question, lambda answer: convert(answer, declared), str(default))

    def run(self) -> int:
        """Show the menu until the user quits; returns the exit status (0)."""
        actions = self.actions()
        try:
            while True:
                self.say(f"\napt-hub menu  ({self.settings.describe()})")
                for key, (label, _) in actions.items():
                    self.say(f"  {key:>2}. {label}")
                choice = self.ask_until("Choice", lambda answer: _choice(answer, actions))
                self._perform(actions[choice][1])
        except _Leave:
            self.say("\nBye.")
        except KeyboardInterrupt:
            self.say("\nInterrupted.")
            raise
        return 0

    def _perform(self, action: Callable[[], str | None]) -> None:
        try:
            result = action()
        except AptHubError as error:
            self.say(f"error: {error}")
            return
        except OSError as error:  # an unwritable folder, a file where a folder should be
            self.say(f"error: {os_error_message(error)}")
            return
        if result:
            self.say(result)

    def actions(self) -> dict[str, tuple[str, Callable[[], str | None]]]:
        return {
            "1": ("Build with these settings", self.build),
            "2": ("Choose configs", self.choose_configs),
            "3": ("Choose sources", self.choose_sources),
            "4": ("Set max samples", self.set_max_samples),
            "5": ("Set upstream (hub, samples or a directory)", self.set_upstream),
            "6": ("Set build folder", self.set_output_dir),
            "7": ("View stats of the build", self.stats),
            "8": ("Make the loyalty template", self.loyalty_template),
            "9": ("Validate a loyalty file", self.validate),
            "10": ("Export in the old layout (data/apt_datasets)", self.export),
            "0": ("Quit", self.quit),
        }

    def build(self) -> str:
        from ..build import build, format_report
        from ..options import BuildOptions
        from ..read.manifest import UpstreamFilesError
        from . import command_spec

        settings, configs = self.settings, self.settings.configs
        for config in configs or CONFIGS:
            if not self._ask_files(config) and configs is not None:
                configs = [name for name in configs if name != config]
                if not configs:
                    return "Nothing to build."
        options = BuildOptions.from_flags(
            upstream=settings.upstream, only=settings.sources, max_samples=settings.max_samples, **settings.files
        )
        try:
            return format_report(build(configs, output_dir=settings.output_dir, options=options))
        except UpstreamFilesError as error:
            if not error.allowable:  # a missing file, or one that is no file: nothing to allow
                raise
            self.say(f"error: {error}")
        # Only files that changed, or that the manifest does not list: the user may build from them as they are.
        declared = command_spec("build").options["allow_changed_upstream"]
        if not self.ask_option(f"{_question(declared)}? (y/n)", declared, "n"):
            return "Nothing built."
        report = build(configs, output_dir=settings.output_dir, options=options, allow_changed_upstream=True)
        return format_report(report)

    def _ask_files(self, config: str) -> bool:
        """Ask for the local file of each source of `config` that reads one and has none yet (the bundled samples
        have one); whether the config has its files."""
        from ..sources import sources_for

        for source in sources_for(config):
            if source.file_option and self.settings.files.get(source.file_option) is None:
                if self.settings.upstream == "samples":
                    continue
                question = f"{source.name.capitalize()} file (empty: build without {config})"
                self.settings.files[source.file_option] = self.ask_until(question, _existing_file_or_empty, "") or None
                if self.settings.files[source.file_option] is None:
                    return False
        return True

    def choose_configs(self) -> None:
        self.settings.configs = self._choose("configs", list(CONFIGS))

    def choose_sources(self) -> None:
        from ..sources import SOURCES
        from ..sources.custom import use_sources_file

        use_sources_file()
        self.settings.sources = self._choose("sources", list(SOURCES))

    def _choose(self, what: str, options: list[str]) -> list[str] | None:
        for number, name in enumerate(options, start=1):
            self.say(f"  {number}. {name}")
        question = f"Numbers or names of the {what}, comma-separated (empty: all)"
        return self.ask_until(question, lambda answer: _pick(answer, options), "")

    def set_max_samples(self) -> None:
        from ..options import BuildOptions, build_options

        declared = build_options()["max_samples"]
        question = f"{declared.help.rstrip('.').capitalize()} (empty: all)"

        def checked(answer: str) -> int | None:
            return BuildOptions(max_samples=convert(answer or None, declared)).max_samples

        self.settings.max_samples = self.ask_until(question, checked, "")

    def set_upstream(self) -> None:
        self.settings.upstream = self.ask_until("Upstream", _upstream, self.settings.upstream)

    def set_output_dir(self) -> None:
        self.settings.output_dir = self.ask("Build folder", self.settings.output_dir)

    def stats(self) -> str:
        from .commands import stats_command

        return stats_command(self.settings.output_dir)

    def loyalty_template(self) -> str | None:
        from . import command_spec
        from .commands import template_command

        options = command_spec("loyalty-template").options
        output = self.ask("Write the template to", options["output"].default)
        n = self.ask_option(_question(options["n"]), options["n"], options["n"].default)
        seed = self.ask_option(_question(options["seed"]), options["seed"], options["seed"].default)
        force = False
        if Path(output).exists():
            question = f"{output} exists and may hold your edits. Replace it? (y/n)"
            force = self.ask_option(question, options["force"], "n")
            if not force:
                return "Kept the existing file."
        written = template_command(output, n=n, seed=seed, upstream=self.settings.upstream, force=force)
        # Not the loyalty file of the next build yet: its placeholders would stop it. Validating it, once filled in,
        # makes it so.
        return f"{written}\nThe menu builds with it once it validates (9. Validate a loyalty file)."

    def validate(self) -> str:
        from .commands import validate_command

        default = self.settings.files["loyalty_file"] or "loyalty_template.json"
        file = self.ask_until("Loyalty file", _existing_file, default)
        summary = validate_command(file)
        self.settings.files["loyalty_file"] = file  # only a file without problems: the build would refuse any other
        return summary

    def export(self) -> str:
        from .commands import export_command

        self.settings.export_dir = self.ask("Export into", self.settings.export_dir)
        return export_command(self.settings.output_dir, output_dir=self.settings.export_dir)

    def quit(self) -> None:
        raise _Leave


def _choice(answer: str, actions: dict[str, Any]) -> str:
    if answer not in actions:
        raise ValueError(f"Not a choice: {answer!r}. Type one of the numbers {', '.join(actions)}.")
    return answer


def _pick(answer: str, options: list[str]) -> list[str] | None:
    """Names from an answer of numbers or names, such as `1,3` or `sft, dpo`; `None` (all) for an empty one."""
    picked = []
    for part in (p.strip() for p in answer.split(",")):
        if not part:
            continue
        if part.isdigit() and 1 <= int(part) <= len(options):
            part = options[int(part) - 1]
        if part not in options:
            raise ValueError(f"Not one of the choices: {part!r}. Choose among {options}, by number or name.")
        picked.append(part)
    return list(dict.fromkeys(picked)) or None


def _question(declared: Option) -> str:
    """A menu question from an option's help: `how many prompts (default 100).` asks `How many prompts`."""
    return re.split(r" \(|[.;:]", declared.help)[0].capitalize()


def _upstream(answer: str) -> str:
    if answer in ("hub", "samples") or Path(answer).is_dir():
        return answer
    raise ValueError(f"Expected hub, samples or an existing directory, got {answer!r}.")


def _existing_file(answer: str) -> str:
    if not Path(answer).exists():
        raise ValueError(f"No such file: {answer!r}.")
    try:
        check_input_file(answer, "file")
    except AptHubError as error:  # a directory or a device: asked again
        raise ValueError(str(error)) from None
    return answer


def _existing_file_or_empty(answer: str) -> str:
    return _existing_file(answer) if answer else ""
