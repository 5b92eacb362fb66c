"""Posts out of paragraphs: templates, fitting to a network's length rules, threads, facets.

- `bot.posts.render.render_thread(cable, paragraph, *, network, rules, templates, min_quote_share)`
  -> `Thread`: the paragraph fitted to `rules`, citation never cut (see its module for the rules).
- `bot.posts.templates.TemplateSet.from_config(config)`: the editors' Jinja templates, loaded once.
- `bot.posts.lengths`: one counter per kind of rule (`XRules`, `BlueskyRules`, `MastodonRules`,
  `PlainRules`), each a `bot.posts.rules.TextRules`.
- `bot.posts.model`: `Thread`, `Post`, `Facet`, what the network adapters send as they are.
"""
