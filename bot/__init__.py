"""Radar: watches AI news feeds for the AI talent war and the race to AGI."""
