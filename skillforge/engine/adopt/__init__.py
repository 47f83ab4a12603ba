"""`skillforge import`: turn an existing tree of skills, agents and commands into specs (DESIGN §6).

The flow, one module each: `sources` finds the files of each source format (one reader per
format: Claude Code's `.claude/`, and the folders of the other targets, each read for the
target that writes it back; a new format is one more reader), `document` splits a file into
its frontmatter and body, `sections` cuts the body at `## ` headings where that keeps the
text exact, `specs` turns both into a spec and its YAML, `plan` decides per file and
`predict` says byte for byte what the next build will write, `copies` checks the other
configured targets' copies, `factor` moves repeated sections into shared templates, and `run`
writes the specs and records the adoption.
"""
