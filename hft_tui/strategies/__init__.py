"""Strategies: built-ins by name, user classes by ``path/to/file.py:ClassName``."""
