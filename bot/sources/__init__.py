"""Sources of cables: every real format, parsed into one model (bot.model.Cable).

`read_path` is what ingest calls: it walks files and folders, detects each file's format by its content,
and yields a Cable or a ParseError per cable, so that one bad input never stops the rest.
"""
