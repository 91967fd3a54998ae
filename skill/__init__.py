"""Hearth: spoken, screen-free rituals for Hermes MQTT voice assistants."""

__version__ = "0.1.0"
