"""Archive import (issue 31): a newsroom's archive (WordPress export, RSS/Atom feed, CSV)
becomes draft incidents, never published by the import.

- `parsers.py` reads a file item by item (streaming: a 500 MB export in flat memory) into
  plain `Item`s, or an `ItemError` with the item's position;
- `markdown.py` turns the archive's HTML into the Markdown the site accepts;
- `guess.py` guesses categories and region, and says how sure it is;
- `matching.py` finds an item already on record (its address, or its title and date);
- `fetch.py` reads a feed from an address, carefully;
- `runs.py` the only writer of ImportRun and ImportItem: a run in batches, resumable, and
  the review queue's decisions (merge, dismiss, keep), each through incidents.services.
"""
