"""Simulated controllers; each runs in its own thread and acts only through the API."""
