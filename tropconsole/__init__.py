"""tropconsole: a terminal operations console for KVM hyper-visor fleets."""

__version__ = "0.1.0"
