"""preo-sandbox: a complete, stateful local Preo API server (FastAPI + uvicorn + SQLite).

Every operation of the contract, deterministic seed data, the real state machines, JWT auth,
idempotency, webhooks and fault injection. It may import ``preo_tui.cel`` and its server-side
libraries; never ``preo_tui.ui`` (nor the client packages ``api`` and ``store``).
"""
