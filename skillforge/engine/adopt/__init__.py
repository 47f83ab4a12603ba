"""`skillforge import`: turn an existing tree of skills and agents into specs (DESIGN §6).

The flow, one module each: `sources` finds the files of each source format (one reader per
format: Claude Code's `.claude/`, the portable `.agents/skills/`; a new format is one more
reader), `document` splits a file into its frontmatter and body, `sections` cuts the body at
`## ` headings where that keeps the text exact, `specs` turns both into a spec and its YAML,
`predict` says byte for byte what the next build will write, `factor` moves repeated
sections into shared templates, and `run` writes the specs and records the adoption.
"""
