"""apt-hub: public alignment datasets turned into the unified training sets of the APT pipeline."""

__version__ = "0.1.0"
