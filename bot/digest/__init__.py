"""The weekly manager digest: one model rendered as Block Kit, Markdown and a chart."""
