"""Posts out of paragraphs: templates, fitting to a network's length rules, threads, facets."""
