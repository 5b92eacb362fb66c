"""The store: cables and their paragraphs in SQLite (default) or PostgreSQL, through SQLAlchemy Core.

store = open_store()                 # DATABASE_URL, else SQLite in the data folder; migrated
store.save_cables(cables)            # the merge rule: see bot.store.merge
store.get_cable("08ASTANA2079", permalinks)
"""

from __future__ import annotations

from bot.store.store import Store, open_store

__all__ = ["Store", "open_store"]
