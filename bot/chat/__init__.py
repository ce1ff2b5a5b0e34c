"""Chat commands and replies shared by every platform (Slack, Discord): no SDK imports here."""
