"""kg: a knowledge graph of China's import cross-border e-commerce ecosystem."""

__version__ = "0.1.0"
