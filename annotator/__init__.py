"""annotator: label news articles sentence by sentence in the terminal."""

__version__ = "0.1.0"
