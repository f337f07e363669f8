"""`datasets` builders of apt-hub, instantiated directly (datasets 4+ no longer loads dataset scripts); installed as
`apt_hub.builders`."""

from .apt import Apt, AptConfig

__all__ = ["Apt", "AptConfig"]
