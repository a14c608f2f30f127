"""The SQLite schema's one ordered list of migrations, collected from the modules that own the tables.

Numbers run 1, 2, 3, … over the whole store with no gap or repeat (checked when this module is
imported); `Database.open` runs the missing ones by number. Names are what `schema_migrations`
records: the first twelve keep the names databases written before the numbering recorded
("0001_accounts" … "0004_secrets"), so those databases open without running anything again.
A new migration takes the next number and a new name (e.g. `Migration(13, "auctions", ...)`) in the
module of its tables, and that module's MIGRATIONS joins the list below.
"""

from __future__ import annotations

from livecart.store.sqlite import (
    accounts,
    auctions,
    campaigns,
    catalog,
    cohosts,
    commerce,
    deals,
    giveaways,
    live,
    orders,
    payouts,
    profiles,
    reviews,
    secrets,
    shows,
    timeline,
    webhooks,
)  # fmt: skip
from livecart.store.sqlite.db import Migration, check_migrations

MIGRATIONS: list[Migration] = check_migrations(
    [
        *accounts.MIGRATIONS,  # 1
        *catalog.MIGRATIONS,  # 2
        *shows.MIGRATIONS,  # 3, 4, 23
        *commerce.MIGRATIONS,  # 5, 8
        *orders.MIGRATIONS,  # 6, 7, 9, 21 (21: orders' source)
        *live.MIGRATIONS,  # 10, 11
        *secrets.MIGRATIONS,  # 12
        *auctions.MIGRATIONS,  # 13, 25 (25: the shows' auctions and noted address labels)
        *deals.MIGRATIONS,  # 14
        *giveaways.MIGRATIONS,  # 15
        *cohosts.MIGRATIONS,  # 16
        *payouts.MIGRATIONS,  # 17 (also the ledger's payout_id column)
        *campaigns.MIGRATIONS,  # 18, 19, 24 (19: order lines' campaign_id; 24: link visits and storefronts)
        *reviews.MIGRATIONS,  # 20
        *timeline.MIGRATIONS,  # 22
        *webhooks.MIGRATIONS,  # 26
        *profiles.MIGRATIONS,  # 27
    ]
)
