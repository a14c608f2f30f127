"""The HTTP API under /api/, plus /healthz and /metrics: one route table per module, registered by
livecart/app.py. Handlers only translate HTTP into calls on the services (livecart/services.py)."""
