"""The `datasets` builder of the APT training sets: one `BuilderConfig` per config, on datasets' public builder API.

It adapts the pipeline (`apt_hub.pipeline.convert`) to `datasets`, for those who want a `Dataset` without a build
folder: `_split_generators` converts the config, `_generate_tables` gives its checked rows. The cache `datasets`
keeps is keyed by the pipeline's one key (`apt_hub.pipeline.cache_key`); nothing else is left in it.

>>> from apt_hub.builders import Apt
>>> builder = Apt(config_name="ruozhiba", upstream="samples")
>>> builder.download_and_prepare()
>>> builder.as_dataset("train")  # doctest: +SKIP
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import datasets
import pyarrow as pa

from apt_hub.clean.decontamination import Benchmark, resolve_benchmark
from apt_hub.configs import CONFIGS, Config, flat_of, get_config, shape
from apt_hub.options import BuildOptions, option_docs
from apt_hub.pipeline import Converted, cache_key, convert, resolve, scratch_folder, sources_of
from apt_hub.read.manifest import check_files
from apt_hub.read.upstream import open_upstream


@dataclass
class AptConfig(datasets.BuilderConfig):
    """Options of one APT config build.

    Args:
        options: the build options; `Apt(config_name=..., upstream="samples", seed=7)` makes them from its
            keyword arguments.
    """

    options: BuildOptions = field(default_factory=BuildOptions)

    def __post_init__(self):
        super().__post_init__()
        get_config(self.name)  # an unknown name stops here, the available ones listed

    @property
    def declared(self) -> Config:
        return get_config(self.name)


class Apt(datasets.ArrowBasedBuilder):
    """Builds each APT config from its upstream sources; after `download_and_prepare`, `converted` holds the counts
    of the rows read, kept and dropped by reason (when it converted, rather than read the `datasets` cache)."""

    BUILDER_CONFIG_CLASS = AptConfig
    BUILDER_CONFIGS = [AptConfig(name=c.name, description=f"APT {c.stage} stage") for c in CONFIGS.values()]
    DEFAULT_CONFIG_NAME = "sft"
    config: AptConfig

    def __init__(self, *args: Any, allow_changed_upstream: bool = False, **kwargs: Any):
        flags = {name: kwargs.pop(name) for name in option_docs() if name in kwargs}
        options = BuildOptions.from_flags(**flags) if flags else kwargs.get("options", BuildOptions())
        kwargs["options"] = options
        kwargs.setdefault("dataset_name", "apt")
        flat = flat_of(kwargs.get("config_name") or self.DEFAULT_CONFIG_NAME)
        # The inputs are checked and resolved first, as `datasets` resolves data files: the cache is keyed by what
        # is read. A build checks its upstream files against the manifests; so does the builder.
        fed = [(source, flat.name) for source in sources_of(flat, options) if not source.file_option]
        upstream = open_upstream(options.upstream) if fed else None
        if upstream is not None:
            check_files(upstream, fed, allow_changed=allow_changed_upstream)
        self._commits, self._inputs = resolve(flat, options, upstream)
        self._benchmarks: tuple[Benchmark, ...] = tuple(resolve_benchmark(s) for s in options.decontaminate or ())
        kwargs["hash"] = cache_key(flat, self._inputs, options, self._benchmarks)
        self.converted: Converted | None = None
        self._num_proc: int | None = None
        super().__init__(*args, **kwargs)

    def download_and_prepare(self, *args: Any, num_proc: int | None = None, **kwargs: Any) -> None:
        """`datasets`' `download_and_prepare`; `num_proc` is the pipeline's (its jobs are not `datasets`')."""
        self._num_proc = num_proc
        with scratch_folder() as scratch:
            self._scratch = scratch
            super().download_and_prepare(*args, **kwargs)

    def _info(self) -> datasets.DatasetInfo:
        sources = sources_of(self.config.declared, self.config.options)
        return datasets.DatasetInfo(
            description=self.config.description,
            features=self.config.declared.features,
            citation="\n\n".join(s.citation for s in sources if s.citation),
        )

    def _split_generators(self, dl_manager: Any) -> list[datasets.SplitGenerator]:
        flat = flat_of(self.config.name)
        options = self.config.options
        self.converted = convert(
            flat, self._inputs, options, scratch=self._scratch, benchmarks=self._benchmarks, num_proc=self._num_proc
        )
        return [datasets.SplitGenerator(name=split, gen_kwargs={"split": split}) for split in self.converted.splits]

    def _generate_tables(self, split: str) -> Iterator[tuple[str, pa.Table]]:
        """The checked rows of a split, as this config stores them (the flat rows, or their twin)."""
        assert self.converted is not None
        for index, batch in enumerate(self.converted.batches(split)):
            yield f"{split}:{index}", shape(self.config.declared, pa.table(batch))
