"""Shared test configuration: fixtures live in tests/fixtures/ and are loaded as plugins."""

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.app",
]
