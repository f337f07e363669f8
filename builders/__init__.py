"""`datasets` builders of apt-hub, instantiated directly (datasets 4+ no longer loads dataset scripts)."""

from .apt import Apt, AptConfig

__all__ = ["Apt", "AptConfig"]
