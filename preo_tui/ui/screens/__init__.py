"""The app's screens, one module each, registered by jump name."""
