"""The Slack adapter: Block Kit rendering and Web API delivery for Radar's alerts and replies."""
