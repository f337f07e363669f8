"""What every training check shares, TRL's and LLaMA-Factory's alike: two CPU steps of two rows, every step
logged, nothing saved (the Hugging Face `TrainingArguments` both frameworks take)."""

from pathlib import Path
from typing import Any

STEPS = 2


def step_arguments(output: Path) -> dict[str, Any]:
    """The training arguments of every run, writing to `output`."""
    return {
        "output_dir": str(output),
        "max_steps": STEPS,
        "per_device_train_batch_size": 2,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": True,
        "seed": 0,
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
    }
