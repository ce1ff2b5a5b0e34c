"""Persistence: the SQL schema, its migrations and the repository the service layer talks to."""
