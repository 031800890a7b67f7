"""voidmail: a self-hosted AI email responder for small online shops."""

__version__ = "0.1.0"
