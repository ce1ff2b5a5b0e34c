"""Pure domain logic: no network, SDK, feedparser or SQLAlchemy imports here."""
