"""The cached state store: the single place screens get data from.

Keyed by resource and query, in memory and in an on-disk SQLite cache (one per server and
user, never holding tokens), with stale-while-revalidate refreshes that never overlap, backoff
while the server fails, invalidation on writes and an offline fallback. It may import
``preo_tui.api`` and the standard library; never Textual or ``preo_tui.ui``.
"""
