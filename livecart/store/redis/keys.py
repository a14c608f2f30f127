"""Key names: every livecart key starts with `lc:` so a Redis database can be shared and inspected.

One place builds them, so the layout is readable top to bottom (docs/stores.md describes it).
"""

from __future__ import annotations

PREFIX = "lc:"


def account(account_id: str) -> str:
    """Hash: id, role, name, token_hash, created_at[, deleted_at]."""
    return f"{PREFIX}account:{account_id}"


def token(token_hash: str) -> str:
    """Hash: id, role, name, created_at of the live account whose token has this SHA-256 digest
    (a copy of the account, which never changes; deleted when the account is)."""
    return f"{PREFIX}token:{token_hash}"


def product(product_id: str) -> str:
    """Hash: the product's fields; `stock` is changed only by Lua scripts and HSET of a whole update."""
    return f"{PREFIX}product:{product_id}"


def products() -> str:
    """Sorted set of every product id, scored by creation time in microseconds (ties: by id)."""
    return f"{PREFIX}products"


def brand_products(brand_id: str) -> str:
    """Sorted set of one brand's product ids, scored like `products()`."""
    return f"{PREFIX}brand:{brand_id}:products"


def brand_skus(brand_id: str) -> str:
    """Hash: SKU → product id, the per-brand uniqueness index (claimed with HSETNX)."""
    return f"{PREFIX}brand:{brand_id}:skus"


def show(show_id: str) -> str:
    """Hash: id, host_id, title, status, created_at[, scheduled_at, started_at, ended_at]."""
    return f"{PREFIX}show:{show_id}"


def shows() -> str:
    """Sorted set of every show id, scored by creation time in microseconds."""
    return f"{PREFIX}shows"


def lineup(show_id: str) -> str:
    """Sorted set of the product ids featured in a show, scored by when they were added."""
    return f"{PREFIX}show:{show_id}:lineup"


def product_shows(product_id: str) -> str:
    """Sorted set of the ids of the shows whose lineup holds the product (the reverse of `lineup()`),
    scored by when it was added."""
    return f"{PREFIX}product:{product_id}:shows"


# -- commerce --------------------------------------------------------------------------------------


def pin_log(show_id: str) -> str:
    """List of the show's pin spans as JSON `{"product_id", "pinned_us", "unpinned_us"}`, oldest first."""
    return f"{PREFIX}show:{show_id}:pinlog"


def pins(show_id: str) -> str:
    """Hash: product id → index in `pin_log` of its open span (the products pinned now)."""
    return f"{PREFIX}show:{show_id}:pins"


def pinned_during(show_id: str) -> str:
    """Set of the product ids pinned at any time during the show."""
    return f"{PREFIX}show:{show_id}:pinned"


def cart_qty(show_id: str, viewer_id: str) -> str:
    """Hash: product id → units in the viewer's cart in this show."""
    return f"{PREFIX}cart:{show_id}:{viewer_id}:qty"


def cart_lines(show_id: str, viewer_id: str) -> str:
    """Sorted set of the cart's product ids scored by when the line was first added (microseconds)."""
    return f"{PREFIX}cart:{show_id}:{viewer_id}:lines"


def cart_adds(show_id: str) -> str:
    """Hash: product id → number of add-to-cart calls in the show."""
    return f"{PREFIX}show:{show_id}:cart_adds"


def cart_viewers(show_id: str, product_id: str) -> str:
    """Set of the viewers who added this product to a cart in this show."""
    return f"{PREFIX}show:{show_id}:cart_viewers:{product_id}"


def units_bought(buyer_id: str) -> str:
    """Hash: product id → units in the buyer's pending or paid orders."""
    return f"{PREFIX}buyer:{buyer_id}:units"


def idempotency(viewer_id: str, key: str) -> str:
    """Hash: state (`running`/`done`), request_hash, claimed_us[, order_id, status, body]."""
    return f"{PREFIX}idem:{viewer_id}:{key}"


def idempotency_claims() -> str:
    """Sorted set of every claim (`viewer_id key`) scored by when it was claimed, for purging old records."""
    return f"{PREFIX}idem:claims"


def idempotency_running() -> str:
    """Sorted set of running claims (`viewer_id key`) scored by when they were claimed."""
    return f"{PREFIX}idem:running"


def order(order_id: str) -> str:
    """Hash: the order's scalar fields, `lines` (JSON, never rewritten) and `refunded:{product id}` counts."""
    return f"{PREFIX}order:{order_id}"


def client_addresses_forgotten_until() -> str:
    """String: µs; the client addresses of orders created before it have been erased."""
    return f"{PREFIX}client_ip:forgotten_until"


def show_orders(show_id: str) -> str:
    """Sorted set of the show's order ids scored by creation time."""
    return f"{PREFIX}show:{show_id}:orders"


def new_viewers() -> str:
    """Sorted set of viewer account ids scored by creation time (µs), until they buy or expire."""
    return f"{PREFIX}viewers:new"


def viewer_carts(viewer_id: str) -> str:
    """Set of the show ids in which the viewer has had a cart (to delete them with the account)."""
    return f"{PREFIX}viewer:{viewer_id}:carts"


def checkout_lock(show_id: str, buyer_id: str) -> str:
    """String: the id of the buyer's last order placed from their cart in this show (a checkout holds
    the cart while that order is pending)."""
    return f"{PREFIX}checkout:{show_id}:{buyer_id}"


def pending_orders() -> str:
    """Sorted set of PENDING order ids scored by creation time (checkout recovery reads it)."""
    return f"{PREFIX}orders:pending"


def refunds(order_id: str) -> str:
    """List of the order's refunds as JSON, in the order they were recorded."""
    return f"{PREFIX}order:{order_id}:refunds"


def ledger() -> str:
    """List of every ledger entry as JSON, append-only (RPUSH), in the order appended."""
    return f"{PREFIX}ledger"


def ledger_by_order(order_id: str) -> str:
    """List: the ledger entries of one order (copies of the rows in `ledger()`, append-only)."""
    return f"{PREFIX}ledger:order:{order_id}"


def ledger_by_party(party_id: str) -> str:
    """List: the ledger entries of one brand or host."""
    return f"{PREFIX}ledger:party:{party_id}"


def ledger_by_show(show_id: str) -> str:
    """List: the ledger entries of one show."""
    return f"{PREFIX}ledger:show:{show_id}"


def secret(name: str) -> str:
    """String: a deployment secret as hex (`Store.secret`), set once with SET NX."""
    return f"{PREFIX}secret:{name}"


# -- Connect: co-hosts and payouts ---------------------------------------------------------------------


def commission_parties() -> str:
    """Set: every party with host-commission ledger entries (who a payout run visits), added to by the
    script that appends the entries; rows written before it existed are indexed once, by the first
    `commission_parties()` call (then `commission_parties_complete` is set)."""
    return f"{PREFIX}commission:parties"


def commission_parties_complete() -> str:
    """String `1` once `commission_parties` holds the parties of every ledger row ever written."""
    return f"{PREFIX}commission:parties:complete"


def cohost(show_id: str, host_id: str) -> str:
    """Hash: show_id, host_id, share_bps, status (invited | active), invited_at[, accepted_at]."""
    return f"{PREFIX}cohost:{show_id}:{host_id}"


def show_cohosts(show_id: str) -> str:
    """Sorted set of the show's co-host ids, scored by invitation time in microseconds."""
    return f"{PREFIX}show:{show_id}:cohosts"


def show_cohost_bps(show_id: str) -> str:
    """String: the sum of the show's co-host shares (invited and active), changed by the invite script."""
    return f"{PREFIX}show:{show_id}:cohost_bps"


def payout(payout_id: str) -> str:
    """Hash: the payout's fields and `entries` (JSON list of the ledger rows it writes once paid)."""
    return f"{PREFIX}payout:{payout_id}"


def payout_run(run_key: str) -> str:
    """Hash: `{host id}:{currency}` → payout id, the payouts of one run (its Idempotency-Key)."""
    return f"{PREFIX}payout:run:{run_key}"


def payouts_open() -> str:
    """Hash: `{host id}:{currency}` → the id of that host's pending payout (at most one)."""
    return f"{PREFIX}payouts:open"


def payouts_pending() -> str:
    """Sorted set of pending payout ids scored by creation time in microseconds (payout recovery)."""
    return f"{PREFIX}payouts:pending"


def host_payouts(host_id: str) -> str:
    """Sorted set of the host's payout ids scored by `payouts_seq` (the order they were opened)."""
    return f"{PREFIX}host:{host_id}:payouts"


def payouts_seq() -> str:
    """String: a counter, incremented by each payout opened (orders `host_payouts`)."""
    return f"{PREFIX}payouts:seq"


def campaign(campaign_id: str) -> str:
    """Hash: the campaign's fields (`product_ids` as JSON), `units_sold` and `approved` (hosts approved)."""
    return f"{PREFIX}campaign:{campaign_id}"


def campaigns() -> str:
    """Sorted set of every campaign id, scored by `campaigns_seq` (the order created)."""
    return f"{PREFIX}campaigns"


def brand_campaigns(brand_id: str) -> str:
    """Sorted set of the brand's campaign ids, scored like `campaigns`."""
    return f"{PREFIX}brand:{brand_id}:campaigns"


def campaigns_seq() -> str:
    """String: a counter for the order of campaigns, applications (scores of their sorted sets)."""
    return f"{PREFIX}campaigns:seq"


def application(application_id: str) -> str:
    """Hash: an application's fields."""
    return f"{PREFIX}application:{application_id}"


def campaign_applications(campaign_id: str) -> str:
    """Sorted set of the campaign's application ids, scored by `campaigns_seq`."""
    return f"{PREFIX}campaign:{campaign_id}:applications"


def host_invitations(host_id: str) -> str:
    """Sorted set of the host's campaign invitation ids, by creation time (µs)."""
    return f"{PREFIX}host:{host_id}:invitations"


def host_applications(host_id: str) -> str:
    """Sorted set of the host's application ids, scored by `campaigns_seq`."""
    return f"{PREFIX}host:{host_id}:applications"


def campaign_hosts(campaign_id: str) -> str:
    """Hash: host id → its application id in the campaign (one per host)."""
    return f"{PREFIX}campaign:{campaign_id}:hosts"


def invitation(invitation_id: str) -> str:
    """Hash: an invitation's fields."""
    return f"{PREFIX}invitation:{invitation_id}"


def campaign_invited(campaign_id: str) -> str:
    """Hash: host id → its invitation id in the campaign (one per host)."""
    return f"{PREFIX}campaign:{campaign_id}:invited"


def share_link(code: str) -> str:
    """Hash: code, campaign_id, host_id, created_at, clicks, storefront (its show id) of a share link (`/l/{code}`)."""
    return f"{PREFIX}link:{code}"


def campaign_links(campaign_id: str) -> str:
    """Hash: host id → the code of its share link for the campaign."""
    return f"{PREFIX}campaign:{campaign_id}:links"


def host_links(host_id: str) -> str:
    """Sorted set of the host's link codes, by creation time (µs)."""
    return f"{PREFIX}host:{host_id}:links"


def link_viewers(code: str) -> str:
    """Set of the viewer ids who kept the link's attribution; the link's hash counts `clicks`."""
    return f"{PREFIX}link:{code}:viewers"


def viewer_attribution(viewer_id: str) -> str:
    """Hash: code and at of the link the viewer followed last (latest wins)."""
    return f"{PREFIX}viewer:{viewer_id}:attribution"


# -- selling formats (docs/selling.md) ---------------------------------------------------------------


def auction(auction_id: str) -> str:
    """Hash: the auction's fields (livecart/store/redis/auctions.py), plus `ends_us` and `pay_by_us`."""
    return f"{PREFIX}auction:{auction_id}"


def auction_bids(auction_id: str) -> str:
    """List of the auction's accepted bids as JSON, in the order accepted (amounts increasing)."""
    return f"{PREFIX}auction:{auction_id}:bids"


def show_auction(show_id: str) -> str:
    """String: the id of the show's OPEN auction (absent when none): one open auction per show."""
    return f"{PREFIX}show:{show_id}:auction"


def show_auctions(show_id: str) -> str:
    """Sorted set of the show's auction ids scored by creation time (µs): its stats read them."""
    return f"{PREFIX}show:{show_id}:auctions"


def show_addresses(show_id: str) -> str:
    """Set of "account id + space + client address" noted in the show (the shill-bid signals)."""
    return f"{PREFIX}show:{show_id}:addresses"


def replication_probe() -> str:
    """Counter: incremented (and WAITed for) by `confirm_replicated`; once replicas have it, they have
    every write the primary made before it (one ordered replication stream)."""
    return f"{PREFIX}replication:probe"


def auction_timers() -> str:
    """Sorted set of auction ids scored by their next deadline in µs: `ends_us` while open, `pay_by_us`
    while an offer awaits payment; removed once nothing is left to decide."""
    return f"{PREFIX}auctions:timers"


def deal(deal_id: str) -> str:
    """Hash: the deal's fields plus `ends_us`; `remaining` changed only by Lua scripts."""
    return f"{PREFIX}deal:{deal_id}"


def show_deals(show_id: str) -> str:
    """Sorted set of the show's deal ids scored by creation time (µs)."""
    return f"{PREFIX}show:{show_id}:deals"


def deals_held() -> str:
    """Sorted set of deal ids with HELD holds, scored by (at most) their earliest hold expiry (µs)."""
    return f"{PREFIX}deals:held"


def deal_held(deal_id: str) -> str:
    """Sorted set of the deal's HELD hold ids scored by expiry (µs)."""
    return f"{PREFIX}deal:{deal_id}:held"


def deal_hold_status(deal_id: str) -> str:
    """Hash: hold id → `held`, `expired` or `ordered <order id>`."""
    return f"{PREFIX}deal:{deal_id}:hold_status"


def deal_holds(deal_id: str) -> str:
    """List of the deal's holds as JSON (never rewritten), oldest first."""
    return f"{PREFIX}deal:{deal_id}:holds"


def deal_hold_viewers(deal_id: str) -> str:
    """Hash: hold id → viewer id (to give an expired hold back to its viewer's count)."""
    return f"{PREFIX}deal:{deal_id}:hold_viewers"


def deal_viewers(deal_id: str) -> str:
    """Hash: viewer id → units held or ordered from the deal (the per-viewer limit)."""
    return f"{PREFIX}deal:{deal_id}:viewers"


def giveaway(giveaway_id: str) -> str:
    """Hash: the giveaway's fields plus `ends_us`; `winner_ids` and `order_ids` as JSON lists."""
    return f"{PREFIX}giveaway:{giveaway_id}"


def giveaway_entrants(giveaway_id: str) -> str:
    """Set of the account ids that entered (one entry per account)."""
    return f"{PREFIX}giveaway:{giveaway_id}:entrants"


def open_giveaways() -> str:
    """Sorted set of OPEN giveaway ids scored by `ends_us` (the draw is due after it)."""
    return f"{PREFIX}giveaways:open"


def webhooks() -> str:
    """Hash: webhook id → the endpoint as JSON (id, owner_id, owner_is_admin, url, events, secret, created_at)."""
    return f"{PREFIX}webhooks"


def webhook_events() -> str:
    """Hash: event id → the outbox event as JSON; written by the Lua scripts of orders and shows."""
    return f"{PREFIX}webhook:events"


def webhook_events_new() -> str:
    """Sorted set of event ids not yet expanded into deliveries, scored by a counter (`webhook_event_seq`)."""
    return f"{PREFIX}webhook:events:new"


def webhook_event_seq() -> str:
    """String: the counter that orders `webhook_events_new`."""
    return f"{PREFIX}webhook:events:seq"


def webhook_deliveries() -> str:
    """Hash: delivery id → the delivery as JSON (with its attempts)."""
    return f"{PREFIX}webhook:deliveries"


def webhook_due() -> str:
    """Sorted set of pending delivery ids, scored by next attempt (Unix milliseconds)."""
    return f"{PREFIX}webhook:due"


def webhook_history(webhook_id: str) -> str:
    """List of one endpoint's delivery ids, newest first (LPUSH)."""
    return f"{PREFIX}webhook:{webhook_id}:deliveries"


def webhook_lease(webhook_id: str) -> str:
    """String with a TTL: the node sending this endpoint's current delivery (SET NX PX)."""
    return f"{PREFIX}webhook:{webhook_id}:lease"


def review(review_id: str) -> str:
    """Hash: the review's fields (id, product_id, brand_id, order_id, show_id, host_id, buyer_id, buyer_name,
    rating, text, created_at, ordered_at[, client_ip][, reply_text, reply_at][, hidden_reason, hidden_at])."""
    return f"{PREFIX}review:{review_id}"


def review_reports(review_id: str) -> str:
    """Hash: reporting account id → JSON {reason, at}; one report per account (HSETNX)."""
    return f"{PREFIX}review:{review_id}:reports"


def reviewed_line(order_id: str, product_id: str) -> str:
    """String: the id of the review of this order line, the once-per-line claim (set by the add script)."""
    return f"{PREFIX}reviewed:{order_id}:{product_id}"


def product_reviews(product_id: str) -> str:
    """Sorted set of the product's review ids, scored by creation time in microseconds."""
    return f"{PREFIX}product:{product_id}:reviews"


def show_reviews(show_id: str) -> str:
    """Sorted set of the ids of reviews of lines bought in the show, scored like `product_reviews`."""
    return f"{PREFIX}show:{show_id}:reviews"


def product_ratings(product_id: str) -> str:
    """Hash: rating "1"…"5" → visible reviews with it (the add script adds, the first hide subtracts)."""
    return f"{PREFIX}product:{product_id}:ratings"


def reviews_with_client_ip() -> str:
    """Sorted set of the ids of reviews still holding a client address, scored by creation time (µs);
    `forget_review_addresses` erases the older ones' addresses and removes them."""
    return f"{PREFIX}reviews:client_ip"


def timeline(show_id: str) -> str:
    """List of the show's replay timeline events (JSON: type, at, at_ms, data), oldest first."""
    return f"{PREFIX}replay:{show_id}:timeline"


def profile(account_id: str) -> str:
    """Hash: `address` and `card` (JSON) the account keeps for its next purchase (the card as the payment
    provider's token, never the number)."""
    return f"{PREFIX}account:{account_id}:profile"


def poster(show_id: str) -> str:
    """Hash: content_type, data (base64), updated_at of the show's latest poster frame."""
    return f"{PREFIX}show:{show_id}:poster"
