"""Cases, people and exhibits: the service functions behind the CLI and the GUI.

Functions take a SQLAlchemy ``Session`` (one unit of work) and return frozen
views, never live ORM objects, so callers in ``app`` and ``reports`` cannot
trigger lazy loads or hold detached instances.
"""
