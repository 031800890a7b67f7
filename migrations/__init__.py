"""Numbered plain-SQL migrations, installed as ``voidmail.migrations`` (see voidmail/migrate.py)."""
