"""Commerce use cases, one module each: checkout (`checkout`), carts (`carts`), pins (`pins`), refunds
(`refunds`), payment providers (`payments`), stock levels told to the live rooms (`stock_news`), what
is kept only for a while (`retention`) and the periodic recovery that runs both (`maintenance`).

Built by the composition root (livecart/services.py) with explicit constructor arguments; the HTTP
handlers in livecart/api/ only translate requests into calls on these services.
"""
