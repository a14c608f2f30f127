"""The `Store` interface. Every implementation passes the contract suite, tests/store/test_contract_*.py.

Methods raise domain errors (`NotFound`, `Conflict`, ...) rather than returning sentinels when the
caller cannot go on; lookups that are expected to miss return None. The errors are built by the
constructors of `livecart.domain.errors` and the checks shared by the stores live in
`livecart.domain.store_checks`, so both stores answer a call with the same error, word for word.
Nothing else escapes a store except `STORE_UNAVAILABLE` errors and `ValueError` for input only a bug
can build (e.g. an order naming one product twice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from livecart.domain.attribution import Attribution, ShareLink
from livecart.domain.auctions import Auction, Bid
from livecart.domain.campaigns import Application, Campaign, Invitation
from livecart.domain.commerce import (
    CartActivity,
    CartItem,
    LedgerEntry,
    Order,
    Pin,
    PinSpan,
    Refund,
    StoredResponse,
)
from livecart.domain.deals import Deal, DealHold
from livecart.domain.giveaways import Giveaway
from livecart.domain.live import Audience, ChatMessage, ChatSettings, Question, QuestionStatus
from livecart.domain.models import Account, Product, ProductDraft, Role, Show, ShowStatus
from livecart.domain.payouts import Payout
from livecart.domain.profiles import Poster, SavedCard
from livecart.domain.replay import TimelineEvent
from livecart.domain.reviews import Review, ReviewCursor, ReviewSummary
from livecart.domain.shares import Cohost
from livecart.domain.webhooks import Delivery, Webhook, WebhookEvent


class StoreUnavailable(Exception):
    """The store cannot be used now (SQLite: the file is locked, the disk is full, an I/O error); like a
    Redis connection error, it is one of `livecart.store.STORE_UNAVAILABLE` (the API answers 503)."""


@dataclass(frozen=True)
class CheckoutInputs:
    """What a checkout reads to price a cart and split its commission, read in one store call
    (`checkout_inputs`): the same values as the separate reads named on each field."""

    cart: list[CartItem]  # cart(show_id, buyer_id)
    products: dict[str, Product]  # get_product() of each cart line, by id (missing products left out)
    pinned: set[str]  # pinned_during(show_id)
    bought: dict[str, int]  # units_bought(buyer_id, the cart's product ids)
    applications: list[Application]  # host_applications(host_id)
    cohosts: list[Cohost]  # cohosts(show_id)


@dataclass(frozen=True)
class CheckoutCaller:
    """Who checks out where, read in one store call (`checkout_caller`) at the start of a checkout."""

    account: Account | None  # account_by_token(token)
    show: Show | None  # get_show(show_id)
    has_deals: bool  # whether the show has any deal (show_deals(show_id) is not empty)


class NotReplicated(StoreUnavailable):
    """A write ran on the primary but `WAIT` did not see it reach LIVECART_REDIS_MIN_REPLICAS replicas
    in time: a fail-over now could lose it, so the caller is not told it succeeded (the API answers
    503). The write did happen: a checkout keeps its Idempotency-Key claimed (the retry replays or
    waits for checkout recovery to settle the order) instead of releasing it."""


class AccountStore(Protocol):
    async def create_account(self, role: Role, name: str) -> tuple[Account, str]:
        """Create an account; returns it with its bearer token (only the token's hash is kept)."""

    async def account_by_token(self, token: str) -> Account | None: ...

    async def get_account(self, account_id: str) -> Account | None: ...

    async def delete_account(self, account_id: str) -> None:
        """Delete an account: its token stops working at once. Raises NotFound."""

    async def expire_idle_viewers(self, created_before: datetime) -> int:
        """Delete every viewer account created before `created_before` that never placed an order
        (pending, paid or failed), with its carts; returns how many. Stale anonymous state expires
        (issue 19, finding 12). Redis: viewers created before this method existed are not indexed."""


class CatalogStore(Protocol):
    async def create_product(self, brand_id: str, draft: ProductDraft) -> Product:
        """Raises BadRequest for a required field that is None, a negative price or stock or a commission
        outside 0–10000 bps; NotFound when the brand's account does not exist (or was deleted); Conflict
        when the brand already has a product with that SKU. Nothing is stored when it raises."""

    async def get_product(self, product_id: str) -> Product | None: ...

    async def list_products(self, brand_id: str | None = None) -> list[Product]: ...

    async def update_product(self, product_id: str, changes: Mapping[str, Any]) -> Product:
        """Apply changes to PRODUCT_MUTABLE_FIELDS (others are ignored). Raises BadRequest for values
        create_product refuses (checked first), NotFound for an unknown product."""


class ShowStore(Protocol):
    async def create_show(self, host_id: str, title: str, scheduled_at: datetime | None) -> Show:
        """Raises NotFound when the host's account does not exist (or was deleted)."""

    async def get_show(self, show_id: str) -> Show | None: ...

    async def list_shows(self) -> list[Show]:
        """Live shows first, then scheduled (soonest first), then ended (latest first): `show_list_order`."""

    async def set_show_status(self, show_id: str, status: ShowStatus) -> Show:
        """Move a show along scheduled → live → ended, stamping started_at / ended_at.

        Raises NotFound, or Conflict when the transition is not allowed.
        """

    async def add_to_lineup(self, show_id: str, product_id: str) -> bool:
        """Feature a product in a show; returns False when it was already in the lineup.
        Raises NotFound for an unknown show or product."""

    async def lineup(self, show_id: str) -> list[Product]: ...

    async def shows_featuring(self, product_id: str) -> list[Show]:
        """Every show whose lineup holds the product, any status, by show id (for `stock` events)."""


StockLevels = dict[str, int]  # product id → stock after the operation (for `StockChanged` events)
OrderCursor = tuple[datetime, str]  # an order's (created_at, id): where a page of a show's orders resumes


class CommerceStore(Protocol):
    """Pins, carts, orders, the ledger and idempotency records (docs/commerce.md).

    Every method is atomic: it either happens completely or not at all, and concurrent calls behave as
    if run one after another (SQLite: one transaction; Redis: one Lua script). Callers check the
    commerce rules (product in the lineup, pinned, show live, ...) before calling; the store enforces
    the invariants that must hold under concurrency (stock, per-buyer limits, refund quantities,
    idempotency, order status) and refuses ids that do not exist (NotFound). Times are stamped by the
    store from its clock unless given.
    """

    # -- pins ---------------------------------------------------------------------------------------
    async def pin_product(self, show_id: str, product_id: str) -> tuple[Pin, bool]:
        """Pin a product in a show now, opening a pin-log span.

        Returns the pin and True, or the existing pin and False when it was already pinned (no new span).
        Several products may be pinned at once. Raises NotFound for an unknown show or product.
        """

    async def unpin_product(self, show_id: str, product_id: str) -> bool:
        """Close the product's open pin span now; False when it was not pinned."""

    async def active_pins(self, show_id: str) -> list[Pin]:
        """Products pinned now, oldest pin first, with their current Product (stock included)."""

    async def pin_log(self, show_id: str) -> list[PinSpan]:
        """Every pin span of the show, oldest first (open spans have unpinned_at None)."""

    async def pinned_during(self, show_id: str) -> set[str]:
        """Ids of the products pinned at any time during this show (only those can go in its carts)."""

    # -- carts --------------------------------------------------------------------------------------
    async def cart(self, show_id: str, viewer_id: str) -> list[CartItem]:
        """The viewer's cart in this show, in the order lines were first added. Persistent."""

    async def add_to_cart(
        self, show_id: str, viewer_id: str, product_id: str, qty: int, max_qty: int
    ) -> list[CartItem]:
        """Add `qty` units (qty ≥ 1) to the cart line of `product_id` and record one cart add (stats).
        Raises NotFound for an unknown product (the show is the caller's to check).

        Raises LimitExceeded (and changes nothing) when the line would hold more than `max_qty` units;
        the caller passes the per-buyer limit minus the units the viewer already bought.
        Returns the whole cart after the change.
        """

    async def remove_from_cart(self, show_id: str, viewer_id: str, product_id: str) -> bool:
        """Remove the line; False when the cart had no such line."""

    async def set_cart_qty(
        self, show_id: str, viewer_id: str, product_id: str, qty: int, max_qty: int
    ) -> list[CartItem]:
        """Set the cart line of `product_id` to `qty` units (qty ≥ 0), in one step: 0 removes the line (none:
        nothing changes); fewer units than the line holds always succeed; more (a new line included) are
        an add — NotFound for an unknown product, LimitExceeded (nothing changed) over `max_qty`, and one
        cart add recorded (stats). Returns the whole cart after the change.
        """

    async def cart_activity(self, show_id: str) -> dict[str, CartActivity]:
        """Per product id: number of add_to_cart calls in this show and number of distinct viewers."""

    async def units_bought(self, buyer_id: str, product_ids: Sequence[str]) -> dict[str, int]:
        """Units of each product in the buyer's pending or paid orders (refunds do not give units back).

        Every requested id is a key (0 when none).
        """

    async def checkout_inputs(self, show_id: str, buyer_id: str, host_id: str) -> CheckoutInputs:
        """Everything a checkout prices with, in one call (SQLite: one read on the database thread;
        Redis: two pipelined round trips, the cart read in MULTI/EXEC as `cart` does). Each field equals
        the separate read it names; the checkout's own store calls re-check every price, limit and
        stock atomically, so these reads need not be one snapshot."""

    async def checkout_caller(self, token: str, show_id: str) -> CheckoutCaller:
        """The account of a bearer token, the show and whether it has deals, in one call (SQLite: one read
        on the database thread; Redis: one pipelined round trip). Each field equals the separate read it
        names."""

    async def claim_checkout(
        self, viewer_id: str, key: str, request_hash: str, show_id: str, host_id: str
    ) -> StoredResponse | CheckoutInputs:
        """`claim_idempotency_key` and, once claimed, `checkout_inputs(show_id, viewer_id, host_id)` in one
        atomic call (SQLite: one transaction; Redis: one script). Returns the stored response of a finished
        key (nothing read), else the inputs of the claimed key; raises IdempotencyMismatch /
        IdempotencyInProgress as the claim does (nothing claimed)."""

    # -- idempotency --------------------------------------------------------------------------------
    async def claim_idempotency_key(self, viewer_id: str, key: str, request_hash: str) -> StoredResponse | None:
        """Claim (viewer_id, key) for a request whose body hashes to `request_hash`.

        - key unseen: record it as in progress with the hash and return None (the caller runs the request);
        - key seen with another hash (finished or not): raise IdempotencyMismatch;
        - key finished with the same hash: return the stored response (the caller replays it as is);
        - key in progress with the same hash: raise IdempotencyInProgress.
        """

    async def save_idempotent_response(self, viewer_id: str, key: str, response: StoredResponse) -> None:
        """Finish a claimed key with its response (kept for replays). Raises NotFound when not claimed."""

    async def release_idempotency_key(self, viewer_id: str, key: str) -> None:
        """Forget an in-progress claim (the request had no effect, a retry may run it again).

        A finished key is kept: no-op. Unknown key: no-op.
        """

    async def forget_client_addresses(self, older_than: datetime) -> int:
        """Erase the client address of every order created before `older_than` (privacy retention: the
        fake-order signals of those shows lose their address groups); returns how many were erased."""

    async def purge_idempotency_records(self, older_than: datetime) -> int:
        """Forget finished records (a response saved) claimed before `older_than`; returns how many.

        A retry with a forgotten key then runs as a new request. Claims still in progress are kept.
        """

    async def release_stale_idempotency_keys(self, older_than: datetime) -> int:
        """Forget in-progress claims made before `older_than` that have no order attached; returns how many.

        A claim gets an order attached by place_order (order.idempotency_key); those are settled by
        checkout recovery through mark_order_paid / fail_order instead.
        """

    # -- orders -------------------------------------------------------------------------------------
    async def place_order(self, order: Order, max_qty_per_buyer: int, *, from_cart: bool = False) -> StockLevels:
        """Record a PENDING order and take its stock, all lines or none.

        Checks, in this order, without changing anything when one fails
        (`livecart.domain.store_checks.order_placement`):
        - the order id is not taken (Conflict, `order_id`) and the show exists (NotFound, `show_id`);
        - with `from_cart` (checkout): the buyer's cart in the show still holds every line's units and
          no other order of the buyer in that show is pending (CartEmpty, `store_checks.cart_holds`) —
          a cart is consumed by its first checkout, the paid order removes its lines, a failed one
          leaves them for the retry;
        - every product exists (NotFound, `product_id`);
        - every product still has the line's unit price and commission rate (PriceChanged, `product_ids`);
        - units_bought(buyer) + line qty ≤ max_qty_per_buyer for every line (LimitExceeded, `product_ids`);
        - stock ≥ line qty for every line (OutOfStock, `product_ids`: every line that is short).
        Then decrements every line's stock and stores the order (with order.idempotency_key attached to
        the buyer's claim). Returns the new stock of each product.
        """

    async def mark_order_paid(
        self,
        order_id: str,
        payment_ref: str,
        paid_at: datetime,
        entries: Sequence[LedgerEntry],
        response: StoredResponse | None,
        *,
        clear_cart: bool = True,
    ) -> Order:
        """PENDING → PAID (stamping payment_ref and paid_at) in one transaction with: appending `entries`
        to the ledger, removing the order's products from the buyer's cart in that show (unless
        `clear_cart` is False: an auction's or a deal's order was not bought from the cart), and saving
        `response` for the order's idempotency key (when the order has one and response is given).
        (Changed 19:55 UTC: `paid_at` added, so the saved response and the stored order agree.)

        Raises NotFound, or Conflict when the order is not pending. Returns the paid order.
        """

    async def fail_order(self, order_id: str, response: StoredResponse | None) -> StockLevels:
        """PENDING → FAILED: give the stock back. With `response`, save it for the order's idempotency
        key (e.g. the 402 of a declined card); with None, release the key so a retry runs again.

        Raises NotFound, or Conflict when the order is not pending. Returns the new stock levels.
        """

    async def get_order(self, order_id: str) -> Order | None: ...

    async def set_order_shipping(self, order_id: str, shipping: Mapping[str, str]) -> Order:
        """Give an order that has no shipping address yet (an auction's or a giveaway's) its address, in
        one atomic step. Raises NotFound, or ShippingSet when the order already has one. Returns the order."""

    async def pending_orders(self, older_than: datetime) -> list[Order]:
        """PENDING orders created before `older_than` (checkout recovery settles them)."""

    async def show_orders(self, show_id: str) -> list[Order]:
        """Every order of the show, any status, oldest first."""

    async def show_orders_page(
        self, show_id: str, limit: int, *, before: OrderCursor | None = None, brand_id: str | None = None
    ) -> list[Order]:
        """Up to `limit` (≥ 1) orders of the show, any status, newest first: by created_at, then id, both
        descending. `before`: only the orders that come after that cursor in this order (older ones);
        `brand_id`: only orders with at least one line of that brand (returned whole; callers scope them).
        """

    async def record_refund(self, refund: Refund, entries: Sequence[LedgerEntry]) -> tuple[Order, StockLevels]:
        """Apply a refund planned from the order as read: in one transaction, for every refund line
        add its qty to the order line's refunded_qty, give the units back to stock, then store the
        refund and append `entries`.

        Raises NotFound (order), Conflict when the order is not PAID, RefundExceedsPurchase when
        refunded_qty + qty would exceed the line's qty or the product is not in the order, and
        Conflict (`retry: true`) when a line's refunded_qty is no longer `previously_refunded` (a
        concurrent refund won; re-read and plan again). Nothing changes when it raises.
        Returns the updated order and the new stock levels.
        """

    async def ledger_entries(
        self, *, order_id: str | None = None, party_id: str | None = None, show_id: str | None = None
    ) -> list[LedgerEntry]:
        """Ledger rows matching every given filter (none: all), in the order they were appended."""


class CohostStore(Protocol):
    """A show's co-hosts and their shares of its commission (docs/commerce.md#co-hosts)."""

    async def invite_cohost(self, show_id: str, host_id: str, share_bps: int) -> Cohost:
        """Record `host_id` as an invited co-host of the show with `share_bps` (1–10000).

        Invited and active shares of the show together stay ≤ 10000: SharesExceedTotal otherwise
        (`available_bps`), checked atomically. Conflict when the host is already a co-host of the show.
        The caller checks that the show exists and that `host_id` is a host other than the show's.
        """

    async def accept_cohost(self, show_id: str, host_id: str) -> Cohost:
        """invited → active (stamping accepted_at); an active co-host is returned as is. Raises NotFound."""

    async def cohosts(self, show_id: str) -> list[Cohost]:
        """The show's co-hosts, any status, in the order they were invited."""


class PayoutStore(Protocol):
    """Payout records; their ledger entries are written when the provider has paid (docs/commerce.md#payouts).

    A payout is planned from the host's ledger entries as read (domain/payouts.py): `open_payout` keeps it
    only if that ledger has not grown since, so two runs can never plan the same money twice.
    """

    async def commission_parties(self) -> list[str]:
        """Every party that has host-commission entries in the ledger (who a payout run visits), in no
        particular order."""

    async def ledger_length(self, party_id: str) -> int:
        """How many ledger entries the party has (the version a payout plan was made from)."""

    async def open_payout(self, payout: Payout, entries: Sequence[LedgerEntry], ledger_length: int) -> Payout:
        """Record a PENDING payout with the entries it will write, atomically:

        - a payout of the same run (run_key), host and currency exists: return it, change nothing;
        - another pending payout of that host and currency exists, or the host's ledger no longer has
          `ledger_length` entries: raise Conflict (`retry: true`: read the ledger again and re-plan).
        """

    async def complete_payout(self, payout_id: str, provider_ref: str) -> Payout:
        """PENDING → PAID (paid_at now, provider_ref) and append its entries, in one transaction. A paid
        payout is returned as is (nothing appended twice). Raises NotFound, or Conflict when failed."""

    async def fail_payout(self, payout_id: str) -> Payout:
        """PENDING → FAILED (the provider never paid it; nothing is written). A failed payout is returned
        as is. Raises NotFound, or Conflict when paid."""

    async def get_payout(self, payout_id: str) -> Payout | None: ...

    async def run_payouts(self, run_key: str) -> list[Payout]:
        """The payouts of one run, in the order opened."""

    async def host_payouts(self, host_id: str) -> list[Payout]:
        """The host's payouts, any status, newest first."""

    async def pending_payouts(self, older_than: datetime) -> list[Payout]:
        """PENDING payouts opened before `older_than` (payout recovery settles them)."""


class CampaignStore(Protocol):
    """Campaigns, applications, invitations, units sold and share links (docs/commerce.md#campaigns).

    Fields are validated by the caller (domain/campaigns.check_fields); the store enforces what must hold
    under concurrency: one application per host and campaign, `max_hosts` approved hosts, `units_cap`.
    """

    async def create_campaign(self, brand_id: str, fields: Mapping[str, Any]) -> Campaign:
        """Store a campaign from checked fields (`check_fields`), stamping id and created_at."""

    async def get_campaign(self, campaign_id: str) -> Campaign | None: ...

    async def list_campaigns(self, brand_id: str | None = None) -> list[Campaign]:
        """Every campaign (or the brand's), newest first (callers filter by status and text)."""

    async def update_campaign(self, campaign_id: str, changes: Mapping[str, Any]) -> Campaign:
        """Apply checked fields (partial). Raises NotFound."""

    async def end_campaign(self, campaign_id: str) -> Campaign:
        """Stamp ended_at now (kept when already ended). Raises NotFound."""

    async def apply_to_campaign(self, application: Application, max_hosts: int | None) -> Application:
        """Store a host's application. Conflict when the host already applied or was invited;
        an APPROVED one (open campaign) raises CampaignFull when `max_hosts` hosts are approved already."""

    async def decide_application(self, application_id: str, approve: bool, max_hosts: int | None) -> Application:
        """PENDING → APPROVED | REJECTED (decided_at now). NotFound; Conflict when already decided;
        CampaignFull when approving beyond `max_hosts`."""

    async def invite_to_campaign(self, invitation: Invitation) -> Invitation:
        """Store an invitation. Conflict when the host already has an invitation or application there."""

    async def accept_invitation(self, invitation_id: str, max_hosts: int | None) -> Application:
        """PENDING → ACCEPTED and the host approved (an APPROVED application, `invited`), atomically.
        NotFound; Conflict when already accepted; CampaignFull when `max_hosts` hosts are approved."""

    async def get_application(self, application_id: str) -> Application | None: ...

    async def get_invitation(self, invitation_id: str) -> Invitation | None: ...

    async def host_invitations(self, host_id: str) -> list[Invitation]:
        """The host's campaign invitations, any status, newest first."""

    async def application_of(self, campaign_id: str, host_id: str) -> Application | None:
        """The host's application to the campaign (how it may sell the campaign's products)."""

    async def campaign_applications(self, campaign_id: str) -> list[Application]:
        """Oldest first."""

    async def host_applications(self, host_id: str) -> list[Application]:
        """Newest first."""

    async def take_campaign_units(self, campaign_id: str, units: int) -> int:
        """Count `units` (≥ 1) more sold through the campaign, atomically within units_cap; returns units
        sold after. Raises UnitsCapReached (`units_left`) and changes nothing beyond the cap; NotFound."""

    async def release_campaign_units(self, campaign_id: str, units: int) -> int:
        """Give back units taken for an order that failed; returns units sold after (never below 0)."""

    async def share_link(self, campaign_id: str, host_id: str, code: str) -> ShareLink:
        """The host's link for the campaign: the existing one, or a new one with `code`. Conflict when
        `code` is taken by another link (the caller draws another)."""

    async def link_by_code(self, code: str) -> ShareLink | None: ...

    async def storefront(self, code: str, title: str) -> Show:
        """The link's storefront: a show of the link's host, `scheduled`, id `lnk_…`, never in `list_shows`,
        where what is bought through the link is sold (orders `source: "link"`). Made with `title` on the
        first call, atomically (concurrent calls get the one storefront). Raises NotFound."""

    async def storefront_link(self, show_id: str) -> ShareLink | None:
        """The link whose storefront the show is (None: a show, not a storefront)."""

    async def host_links(self, host_id: str) -> list[ShareLink]:
        """The host's share links, oldest first."""

    async def record_link_click(self, code: str) -> int:
        """Count one more visit of `/l/{code}`; returns the clicks so far. Raises NotFound."""

    async def keep_attribution(self, viewer_id: str, code: str) -> Attribution:
        """Attribute the viewer to the link now (replacing an earlier link: the latest wins) and count the
        viewer once among the link's viewers. Raises NotFound."""

    async def attribution_of(self, viewer_id: str) -> Attribution | None:
        """The link the viewer followed last, and when (the caller checks the window)."""

    async def link_figures(self, code: str) -> tuple[int, int]:
        """(clicks, distinct viewers) of the link; (0, 0) for an unknown code."""


class LiveStore(Protocol):
    """The live room's state per show: bounded chat and question history, votes, mutes, audience."""

    async def add_chat(self, show_id: str, messages: Sequence[ChatMessage], keep: int) -> None:
        """Append messages (oldest first) to the show's history, keeping the newest `keep`; counts them."""

    async def recent_chat(self, show_id: str, limit: int) -> list[ChatMessage]:
        """The newest `limit` messages, oldest first."""

    async def delete_chat(self, show_id: str, message_id: str) -> bool:
        """Remove a message from the history; False when it is not there."""

    async def add_question(self, question: Question, keep: int) -> None:
        """Add a question (keeping the newest `keep` of the show); counts it."""

    async def get_question(self, show_id: str, question_id: str) -> Question | None: ...

    async def upvote(self, show_id: str, question_id: str, viewer_id: str) -> tuple[Question, bool]:
        """One vote per viewer per question: returns the question and whether this vote counted.

        Raises NotFound."""

    async def set_question_status(self, show_id: str, question_id: str, status: QuestionStatus) -> Question:
        """Raises NotFound."""

    async def top_questions(self, show_id: str, limit: int) -> list[Question]:
        """Featured first, then open by votes, then answered (`domain.live.question_rank`)."""

    async def mute(self, show_id: str, viewer_id: str, until: datetime) -> None: ...

    async def muted_until(self, show_id: str, viewer_id: str) -> datetime | None:
        """When the viewer's mute in this show ends; None when not muted (or the mute is over)."""

    async def set_chat_settings(self, show_id: str, settings: ChatSettings) -> None: ...

    async def chat_settings(self, show_id: str) -> ChatSettings:
        """The show's slow mode and blocked words (defaults when never set)."""

    async def count_viewers(self, show_id: str, delta: int) -> Audience:
        """Add `delta` (joins minus leaves) to the current viewers, never below zero; peak follows."""

    async def audience(self, show_id: str) -> Audience:
        """Current and peak viewers, chat messages and questions ever posted."""


class AuctionStore(Protocol):
    """Live auctions (docs/selling.md). Each method is one atomic step; the time is the store's clock."""

    async def confirm_replicated(self) -> None:
        """Return once every write this store made before the call is on LIVECART_REDIS_MIN_REPLICAS
        replicas; raises NotReplicated otherwise. For the selling timer, which announces a settle or a
        draw that raised NotReplicated only after this. SQLite (durable at commit): returns at once."""

    async def open_auction(self, auction: Auction) -> StockLevels:
        """Store a new OPEN auction and take its `quantity` units from the product's stock, together.

        Raises AuctionOpen when the show already has an open auction, NotFound (product), OutOfStock.
        """

    async def get_auction(self, auction_id: str) -> Auction | None: ...

    async def show_auction(self, show_id: str) -> Auction | None:
        """The show's OPEN auction, if any."""

    async def place_bid(
        self, auction_id: str, bidder_id: str, bidder_name: str, amount_cents: int, extend_s: int
    ) -> Auction:
        """Accept a bid or refuse it, in one step (`domain.auctions.accept_bid` at the store's now).

        Raises NotFound, AuctionClosed, OwnAuction, BidTooLow (`min_cents`). Concurrent bids behave as if
        one after another: never two leaders, never a lower bid accepted after a higher one.
        """

    async def auction_bids(self, auction_id: str) -> list[Bid]:
        """The accepted bids, in the order they were accepted (amounts strictly increasing)."""

    async def settle_auction(self, auction_id: str, pay_s: int, platform_fee_bps: int) -> Auction:
        """End an OPEN auction whose `ends_at` has passed, exactly once: SOLD with a PENDING order for the
        leader at the high bid (the units move from the auction to the order; not taken again), or
        UNSOLD with the units back in stock. Any other auction is returned as it is, so concurrent
        settle calls all return the one outcome. Raises NotFound.
        """

    async def pass_auction_offer(self, auction_id: str, order_id: str, pay_s: int, platform_fee_bps: int) -> Auction:
        """The SOLD auction's offer `order_id` was not paid in time or was declined: that order FAILS (its
        units stay with the auction) and the runner-up gets a PENDING order at their highest bid, or,
        after the second offer or with no runner-up, the auction becomes UNSOLD and its units go back to
        stock. When `order_id` is no longer the auction's pending offer (paid, or already passed),
        nothing changes and the auction is returned as it is. Raises NotFound.
        """

    async def cancel_auction(self, auction_id: str) -> tuple[Auction, StockLevels]:
        """OPEN → CANCELLED, units back to stock. Raises NotFound, AuctionClosed."""

    async def show_auctions(self, show_id: str) -> list[Auction]:
        """Every auction of the show, oldest first (for its stats)."""

    async def note_address(self, show_id: str, account_id: str, address: str) -> None:
        """Remember that `account_id` acted in the show from a client address, given as its keyed label
        (`domain.signals.address_label`: never the address itself), for the shill-bid signals of the
        show's stats (bids and the sellers' own calls). Idempotent."""

    async def show_addresses(self, show_id: str) -> dict[str, set[str]]:
        """Account id → the address labels it was noted with in the show."""

    async def due_auctions(self) -> list[Auction]:
        """Auctions needing the server: OPEN past `ends_at`, and SOLD with a pending offer past `pay_by`."""


class DealStore(Protocol):
    """Flash deals (docs/selling.md). Each method is one atomic step; the time is the store's clock."""

    async def create_deal(self, deal: Deal) -> None:
        """Store a new OPEN deal. Units leave stock only when reserved. Raises NotFound (product)."""

    async def get_deal(self, deal_id: str) -> Deal | None: ...

    async def show_deals(self, show_id: str) -> list[Deal]:
        """Every deal of the show, oldest first (ended ones included)."""

    async def end_deal(self, deal_id: str) -> Deal:
        """OPEN → ENDED (no-op when ended); held units may still be ordered. Raises NotFound."""

    async def reserve_deal_unit(
        self, deal_id: str, viewer_id: str, hold_s: int, max_per_viewer: int
    ) -> tuple[DealHold, Deal, int]:
        """Hold one unit for the viewer for `hold_s` seconds: first the deal's expired holds go back, then
        DealEnded / DealSoldOut (`domain.deals.check_reserve`), then `remaining` and the product's stock
        both drop by one. Returns the hold, the deal and the product's stock after it. Raises NotFound.
        """

    async def deal_holds(self, deal_id: str) -> list[DealHold]:
        """Every hold of the deal, oldest first (expired ones included, with their status)."""

    async def deals_with_expired_holds(self) -> list[str]:
        """Ids of the deals (of any show, ended or not) that have a HELD hold past its expiry: the timer
        gives those back with `expire_deal_holds` (an ended deal takes no reservation that would)."""

    async def expire_deal_holds(self, deal_id: str) -> tuple[Deal, int]:
        """Give the holds past their expiry back to `remaining` and to stock; returns the deal and the stock."""

    async def place_deal_order(self, order: Order, holds: Sequence[DealHold]) -> None:
        """Record a PENDING order buying held units (`holds` as read; their status is checked again):
        each must be the buyer's, HELD and not expired (HoldExpired naming the others otherwise, nothing
        changed), and the order must have, for each product, one line whose qty is the number of its
        holds at the hold price (ValueError). The holds
        become ORDERED; stock is not taken again. Paid or failed like any order (mark_order_paid,
        fail_order: failing gives the units back to stock, not to the deal).
        """


class GiveawayStore(Protocol):
    """Giveaways (docs/selling.md). Each method is one atomic step; the time is the store's clock."""

    async def create_giveaway(self, giveaway: Giveaway) -> StockLevels:
        """Store a new OPEN giveaway and take its `winners` prize units from stock. Raises NotFound, OutOfStock."""

    async def get_giveaway(self, giveaway_id: str) -> Giveaway | None: ...

    async def enter_giveaway(self, giveaway_id: str, account_id: str) -> tuple[Giveaway, bool]:
        """One entry per account: returns the giveaway and True, or False when already entered.
        Raises NotFound, GiveawayClosed (not open, or past ends_at). Role checks are the caller's."""

    async def giveaway_entrants(self, giveaway_id: str) -> list[str]:
        """The entrant ids, sorted (the draw's input)."""

    async def draw_giveaway(self, giveaway_id: str) -> Giveaway:
        """Draw an OPEN giveaway past `ends_at`, exactly once: the winners (`domain.giveaways.draw` of its
        seed and entrants) each get a PAID zero-price order of one unit (payment_ref `giveaway`, no
        address yet), unused prize units go back to stock. Any other giveaway is returned as it is.
        """

    async def open_giveaways(self, show_id: str) -> list[Giveaway]:
        """The show's OPEN giveaways (not drawn yet, even past `ends_at`), oldest first."""

    async def due_giveaways(self) -> list[Giveaway]:
        """OPEN giveaways past `ends_at`."""


class ProfileStore(Protocol):
    """What an account keeps for its next purchase, and each show's poster frame."""

    async def shipping_address(self, account_id: str) -> dict[str, str] | None:
        """The address saved with `save_shipping_address`, or None."""

    async def save_shipping_address(self, account_id: str, address: Mapping[str, str]) -> None:
        """Keep `address` (the checkout's shipping fields) for the account, replacing the last one."""

    async def payment_method(self, account_id: str) -> SavedCard | None: ...

    async def save_payment_method(self, account_id: str, card: SavedCard) -> None:
        """Keep the provider's token of a card for the account, replacing the last one."""

    async def forget_payment_method(self, account_id: str) -> None:
        """Forget the saved card (nothing happens when there is none)."""

    async def show_poster(self, show_id: str) -> Poster | None: ...

    async def save_show_poster(self, show_id: str, poster: Poster) -> None:
        """Keep the show's latest poster frame, replacing the last one."""

    async def show_poster_times(self, show_ids: Sequence[str]) -> dict[str, datetime]:
        """When each of these shows' poster was last saved (shows without one are left out)."""


class WebhookStore(Protocol):
    """Webhook endpoints, the event outbox and deliveries (livecart/domain/webhooks.py).

    The outbox is written by the methods whose change it reports, in the same transaction (SQLite) or
    the same Lua script (Redis): `mark_order_paid` (order.paid), `record_refund` (order.refunded),
    `set_show_status` to live the first time or to ended (show.live, show.ended; a pause and the return
    from it write none), `complete_payout` (payout.paid). A call that changes nothing writes no event."""

    async def create_webhook(self, hook: Webhook) -> None: ...

    async def get_webhook(self, webhook_id: str) -> Webhook | None: ...

    async def list_webhooks(self, owner_id: str | None = None) -> list[Webhook]:
        """One owner's endpoints (None: everyone's), oldest first."""

    async def delete_webhook(self, webhook_id: str) -> bool:
        """Delete the endpoint with its deliveries; False when there was none."""

    async def new_webhook_events(self, limit: int) -> list[WebhookEvent]:
        """Up to `limit` outbox events not yet expanded into deliveries, oldest first."""

    async def expand_webhook_event(self, event_id: str, deliveries: Sequence[Delivery]) -> None:
        """Store the event's deliveries (those of endpoints deleted meanwhile are skipped; a delivery id
        already stored is kept as it is) and mark the event expanded, at once. Idempotent."""

    async def claim_webhook_delivery(self, holder: str, now: datetime, lease_s: float) -> Delivery | None:
        """The pending delivery due first (next_attempt_at ≤ now) among endpoints that no other holder
        has leased, with its endpoint leased to `holder` for `lease_s`: one delivery at a time per
        endpoint, and two nodes never send the same one while the lease holds. None when nothing is due."""

    async def finish_webhook_delivery(self, delivery: Delivery, holder: str) -> None:
        """Store the delivery as given (its attempts, status, next attempt) and release the endpoint's
        lease if `holder` still holds it."""

    async def webhook_deliveries(self, webhook_id: str, limit: int) -> list[Delivery]:
        """The endpoint's last `limit` deliveries, newest first."""

    async def get_webhook_delivery(self, delivery_id: str) -> Delivery | None: ...

    async def redeliver_webhook_delivery(self, delivery_id: str, now: datetime) -> Delivery:
        """Make the delivery pending and due at `now` (its attempts are kept). NotFound when unknown."""


class ReviewStore(Protocol):
    """Product reviews (docs/protocol.md#reviews). Eligibility (`domain.reviews.reviewable_line`) is the
    caller's; the store keeps one review per order line and the rating counts. Time: the store's clock."""

    async def add_review(self, review: Review) -> Review:
        """Store a new review. Raises AlreadyReviewed when its order line (order_id, product_id) already has
        one (concurrent adds: exactly one wins), ValueError for a rating outside 1–5; nothing stored then."""

    async def get_review(self, review_id: str) -> Review | None: ...

    async def product_reviews(
        self, product_id: str, limit: int | None = None, *, before: ReviewCursor | None = None
    ) -> list[Review]:
        """The product's reviews (hidden ones too), newest first: by created_at, then id, both descending;
        at most `limit` (≥ 1; None: all), only those after the `before` cursor (older ones)."""

    async def show_reviews(self, show_id: str) -> list[Review]:
        """Reviews of order lines bought in the show, newest first."""

    async def review_summary(self, product_id: str) -> ReviewSummary:
        """Count and per-star histogram of the product's visible (not hidden) reviews."""

    async def reply_to_review(self, review_id: str, text: str) -> Review:
        """Set the brand's one reply. Raises NotFound, AlreadyReplied (the first reply stays)."""

    async def report_review(self, review_id: str, by: str, reason: str) -> tuple[Review, bool]:
        """Add `by`'s report; False (nothing changed) when `by` already reported it. Raises NotFound."""

    async def hide_review(self, review_id: str, reason: str) -> Review:
        """Hide the review with a reason: it leaves the summary (once); hiding again replaces the reason
        and time. Raises NotFound."""

    async def forget_review_addresses(self, older_than: datetime) -> int:
        """Erase the client address of reviews created before `older_than`; returns how many."""


class TimelineStore(Protocol):
    """A show's replay timeline (docs/protocol.md, "Replay"): its timed events, kept for good."""

    async def add_timeline_events(self, events: Sequence[TimelineEvent]) -> None:
        """Append events (any shows), each after the ones appended before it for its show."""

    async def timeline(self, show_id: str) -> list[TimelineEvent]:
        """Every event of the show, in the order appended."""


class Store(
    AccountStore, CatalogStore, ShowStore, CommerceStore, LiveStore, AuctionStore, DealStore, GiveawayStore,
    CampaignStore, CohostStore, PayoutStore, WebhookStore, ReviewStore, TimelineStore, ProfileStore, Protocol,
):  # fmt: skip
    async def ping(self) -> None:
        """Return once the store answers; raise (a STORE_UNAVAILABLE error for Redis) when it cannot."""

    async def secret(self, name: str) -> bytes:
        """The deployment's secret called `name`: 32 random bytes made on first use, the same for every
        node and after restarts. Never sent to clients (e.g. the key of the client-IP labels in stats)."""

    async def close(self) -> None: ...
