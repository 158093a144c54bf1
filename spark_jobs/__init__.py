"""Model Lifecycle Graph lakehouse: ML metadata as a versioned Delta graph."""

__version__ = "0.1.0"
