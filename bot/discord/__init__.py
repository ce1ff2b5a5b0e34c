"""Discord adapter: payload rendering, webhook and bot outputs, alert buttons."""
