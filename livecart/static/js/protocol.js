// The one shape of every server reply and live-room event the pages read (docs/protocol.md), as JSDoc types.
// Each typedef lists every field the server sends; tests/test_web_protocol.py checks them against a real server.
// Types only: pages refer to them as import("./protocol.js").Name, nothing is imported at run time.

// ---- accounts -----------------------------------------------------------------------------------

/**
 * GET /api/me: the caller's account.
 * @typedef {object} Account
 * @property {string} id
 * @property {"admin"|"host"|"brand"|"viewer"} role
 * @property {string} name
 * @property {string} created_at
 */

/**
 * POST /api/viewers (201): the new viewer and its token.
 * @typedef {object} NewAccount
 * @property {string} id
 * @property {"admin"|"host"|"brand"|"viewer"} role
 * @property {string} name
 * @property {string} created_at
 * @property {string} token
 */

// ---- catalog and shows --------------------------------------------------------------------------

/**
 * A product: GET/PATCH /api/products/{id}, in lineups, pins and carts.
 * @typedef {object} Product
 * @property {string} id
 * @property {string} brand_id
 * @property {string} sku
 * @property {string} title
 * @property {number} price_cents
 * @property {string} currency
 * @property {number} stock
 * @property {number} commission_bps
 * @property {string|null} image_url
 * @property {string|null} description
 * @property {string} created_at
 * @property {string} updated_at
 */

/**
 * GET /api/products?brand_id=
 * @typedef {object} ProductList
 * @property {Product[]} products
 */

/**
 * A show: in GET /api/shows and in the live room's join snapshot.
 * @typedef {object} Show
 * @property {string} id
 * @property {string} host_id
 * @property {string} title
 * @property {"scheduled"|"live"|"paused"|"ended"} status
 * @property {string|null} scheduled_at
 * @property {string|null} started_at
 * @property {string|null} ended_at
 * @property {string} created_at
 */

/**
 * GET /api/shows
 * @typedef {object} ShowList
 * @property {ShowListItem[]} shows
 */

/**
 * A show in GET /api/shows: the show and its latest poster frame (null before the studio sent one).
 * @typedef {object} ShowListItem
 * @property {string} id
 * @property {string} host_id
 * @property {string} title
 * @property {"scheduled"|"live"|"paused"|"ended"} status
 * @property {string|null} scheduled_at
 * @property {string|null} started_at
 * @property {string|null} ended_at
 * @property {string} created_at
 * @property {string|null} poster_url
 */

/**
 * PUT /api/shows/{id}/poster
 * @typedef {object} PosterReply
 * @property {string} show_id
 * @property {string} poster_url
 * @property {string} updated_at
 * @property {number} bytes
 */

/**
 * GET /api/shows/{id}: the show, its host and its lineup.
 * @typedef {object} ShowDetail
 * @property {string} id
 * @property {string} host_id
 * @property {string} title
 * @property {"scheduled"|"live"|"paused"|"ended"} status
 * @property {string|null} scheduled_at
 * @property {string|null} started_at
 * @property {string|null} ended_at
 * @property {string} created_at
 * @property {ShowHost} host
 * @property {Product[]} lineup
 */

/**
 * @typedef {object} ShowHost
 * @property {string} id
 * @property {string|null} name
 */

/**
 * A product on screen: GET /api/shows/{id}/pins, the join snapshot's `pins`, and the `pin` event.
 * @typedef {object} Pin
 * @property {Product} product
 * @property {string} pinned_at
 */

// ---- cart, checkout, orders, refunds ------------------------------------------------------------

/**
 * GET /api/shows/{id}/cart, POST …/cart/items (201) and PATCH …/cart/items/{product_id} (200).
 * @typedef {object} Cart
 * @property {string} show_id
 * @property {CartLine[]} items
 * @property {DealLine[]} deals
 * @property {string|null} currency
 * @property {number} total_cents
 */

/**
 * @typedef {object} CartLine
 * @property {Product} product
 * @property {number} qty
 * @property {number} line_total_cents
 */

/**
 * The body of PATCH /api/shows/{id}/cart/items/{product_id}: the line's new quantity (0 removes it).
 * @typedef {object} CartQtyChange
 * @property {number} qty 0–1000
 * @property {"live"|"replay"} [source]
 */

/**
 * Units of a flash deal held for the viewer, at the deal price until `expires_at`.
 * @typedef {object} DealLine
 * @property {string} deal_id
 * @property {Product} product
 * @property {number} qty
 * @property {number} price_cents
 * @property {number} line_total_cents
 * @property {string[]} hold_ids
 * @property {string} expires_at
 */

/**
 * POST /api/shows/{id}/checkout (201): the buyer's order.
 * @typedef {object} Order
 * @property {string} id
 * @property {string} show_id
 * @property {string} host_id
 * @property {string} buyer_id
 * @property {"pending"|"paid"|"failed"} status
 * @property {string} currency
 * @property {OrderLine[]} items
 * @property {number} total_cents
 * @property {number} commission_cents
 * @property {number} refunded_cents
 * @property {Shipping} shipping
 * @property {string} created_at
 * @property {string|null} paid_at
 * @property {"live"|"replay"|"link"} source
 */

/**
 * @typedef {object} OrderLine
 * @property {string} product_id
 * @property {string} brand_id
 * @property {string} title
 * @property {number} unit_price_cents
 * @property {number} qty
 * @property {number} line_total_cents
 * @property {number} commission_bps
 * @property {number} commission_cents
 * @property {number} refunded_qty
 * @property {string|null} campaign_id  the campaign the line was sold under (its rate), or null
 */

/**
 * @typedef {object} Shipping
 * @property {string} name
 * @property {string} line1
 * @property {string} [line2]
 * @property {string} city
 * @property {string} postal_code
 * @property {string} country
 */

/**
 * GET/PUT /api/me/address: the viewer's saved shipping address (null before the first one).
 * @typedef {object} SavedAddress
 * @property {Shipping|null} address
 */

/**
 * GET /api/me/payment-method: the viewer's saved card, as the payment provider's token (never the number).
 * @typedef {object} SavedPaymentMethod
 * @property {PaymentMethod|null} payment_method
 */

/**
 * @typedef {object} PaymentMethod
 * @property {string} brand e.g. "visa"
 * @property {string} last4
 * @property {string} created_at
 */

/**
 * A brand's view of an order (GET /api/shows/{id}/orders, the refund's `order`): its own lines only.
 * @typedef {object} BrandOrder
 * @property {string} id
 * @property {string} show_id
 * @property {"pending"|"paid"|"failed"} status
 * @property {"none"|"partial"|"full"} refund_status
 * @property {string} currency
 * @property {string} buyer_name
 * @property {OrderLine[]} items
 * @property {number} total_cents
 * @property {number} commission_cents
 * @property {number} refunded_cents
 * @property {Shipping|null} shipping
 * @property {string} created_at
 * @property {string|null} paid_at
 * @property {"live"|"replay"|"link"} source
 */

/**
 * GET /api/shows/{id}/orders?limit=&before= as a brand.
 * @typedef {object} BrandOrderPage
 * @property {string} show_id
 * @property {BrandOrder[]} orders
 * @property {string|null} next_before
 */

/**
 * POST /api/orders/{id}/refund (201) as a brand.
 * @typedef {object} RefundReply
 * @property {Refund} refund
 * @property {BrandOrder} order
 */

/**
 * @typedef {object} Refund
 * @property {string} id
 * @property {string} order_id
 * @property {RefundLine[]} items
 * @property {number} amount_cents
 * @property {number} commission_reversed_cents
 * @property {string} created_at
 */

/**
 * @typedef {object} RefundLine
 * @property {string} product_id
 * @property {number} qty
 * @property {number} amount_cents
 * @property {number} commission_reversed_cents
 */

// ---- earnings and stats -------------------------------------------------------------------------

/**
 * GET /api/hosts/{id}/earnings: top-level amounts in the host's main currency (null before a sale).
 * @typedef {object} Earnings
 * @property {string} host_id
 * @property {string|null} currency
 * @property {number} earned_cents
 * @property {number} reversed_cents
 * @property {number} pending_cents
 * @property {ShowEarnings[]} by_show
 * @property {EarningsTotal[]} totals
 */

/**
 * @typedef {object} ShowEarnings
 * @property {string} show_id
 * @property {string} title
 * @property {string} currency
 * @property {number} orders
 * @property {number} earned_cents
 * @property {number} reversed_cents
 * @property {number} pending_cents
 */

/**
 * @typedef {object} EarningsTotal
 * @property {string} currency
 * @property {number} earned_cents
 * @property {number} reversed_cents
 * @property {number} pending_cents
 */

/**
 * GET /api/shows/{id}/stats (a brand sees its own products only).
 * @typedef {object} ShowStats
 * @property {string} show_id
 * @property {"scheduled"|"live"|"paused"|"ended"} status
 * @property {string} at
 * @property {number} current_viewers
 * @property {number} peak_viewers
 * @property {number} chat_messages
 * @property {number} questions
 * @property {ProductStats[]} products
 * @property {StatsTotal[]} totals
 * @property {Signals} signals
 */

/**
 * One product's figures in a show; `conversion` is buyers / cart viewers (0–1), null before a cart add.
 * @typedef {object} ProductStats
 * @property {string} product_id
 * @property {string} brand_id
 * @property {string} title
 * @property {string} currency
 * @property {number} pins
 * @property {number} pinned_seconds
 * @property {number} cart_adds
 * @property {number} cart_viewers
 * @property {number} orders
 * @property {number} units
 * @property {number} buyers
 * @property {number} gross_cents
 * @property {number} refunded_cents
 * @property {number} net_cents
 * @property {number|null} conversion
 * @property {Object<string, SourceStats>} by_source `live` and `replay`
 */
/**
 * A product's (or a currency's) sales from one purchase path.
 * @typedef {object} SourceStats
 * @property {number} orders
 * @property {number} units
 * @property {number} gross_cents
 * @property {number} net_cents
 */

/**
 * @typedef {object} StatsTotal
 * @property {string} currency
 * @property {number} units
 * @property {number} gross_cents
 * @property {number} refunded_cents
 * @property {number} net_cents
 * @property {Object<string, SourceStats>} by_source
 */

// ---- replay -------------------------------------------------------------------------------------
/**
 * GET /api/shows/{id}/replay: the recorded show and its timeline on the recording's clock (ms).
 * @typedef {object} Replay
 * @property {string} show_id
 * @property {string} media_url
 * @property {string} content_type
 * @property {number|null} duration_ms null while the recording still grows
 * @property {Chapter[]} chapters
 * @property {ReplayEvent[]} events
 */

/**
 * One pinned product's stretch of the recording.
 * @typedef {object} Chapter
 * @property {number} at_ms
 * @property {number|null} until_ms
 * @property {Product} product
 */

/**
 * One timed event: `type` tells which of the other fields it has.
 * @typedef {object} ReplayEvent
 * @property {number} at_ms
 * @property {"pin"|"unpin"|"chat"|"answer"|"sale"|"auction"|"deal"|"giveaway"} type
 * @property {Product} [product] pin
 * @property {string} [product_id] unpin, sale
 * @property {ChatMessage} [message] chat
 * @property {Question} [question] answer
 * @property {string} [title] sale
 * @property {number} [qty] sale
 * @property {string} [buyer] sale
 * @property {object} [auction] auction: its public state
 * @property {object} [deal] deal: its public state
 * @property {object} [giveaway] giveaway: its public state
 */

// ---- selling formats: auctions, flash deals, giveaways (docs/selling.md) ------------------------

/**
 * @typedef {object} Bidder
 * @property {string} id
 * @property {string} name
 */

/**
 * GET /api/auctions/{id}, POST /api/shows/{id}/auctions (201), the `auction` event and the `bid` ack.
 * @typedef {object} Auction
 * @property {string} id
 * @property {string} show_id
 * @property {string} product_id
 * @property {"open"|"sold"|"unsold"|"cancelled"} status
 * @property {string} currency
 * @property {number} start_cents
 * @property {number} increment_cents
 * @property {number} quantity
 * @property {boolean} has_reserve
 * @property {boolean} reserve_met
 * @property {number|null} high_bid_cents
 * @property {number|null} min_bid_cents the next valid bid while open
 * @property {Bidder|null} leader
 * @property {number} bids
 * @property {string} ends_at
 * @property {Bidder|null} winner
 * @property {number|null} price_cents
 * @property {string|null} order_id
 * @property {string|null} pay_by
 * @property {string|null} ended_at
 * @property {string} created_at
 * @property {number} [media_time] the opening's RTP timestamp on air
 */

/**
 * GET /api/deals/{id}, POST /api/shows/{id}/deals (201), the `deal` event.
 * @typedef {object} Deal
 * @property {string} id
 * @property {string} show_id
 * @property {string} product_id
 * @property {number} price_cents
 * @property {string} currency
 * @property {number} quantity
 * @property {number} remaining
 * @property {string} ends_at
 * @property {"open"|"ended"} status
 * @property {number} [media_time]
 */

/**
 * GET /api/giveaways/{id} (with entrant_ids and verify), POST /api/shows/{id}/giveaways (201), the `giveaway` event.
 * @typedef {object} Giveaway
 * @property {string} id
 * @property {string} show_id
 * @property {string} product_id
 * @property {number} winners_count
 * @property {string|null} keyword
 * @property {string} commitment
 * @property {"open"|"drawn"} status
 * @property {number} entrants
 * @property {string} ends_at
 * @property {string} created_at
 * @property {string|null} seed
 * @property {string[]|null} winners
 * @property {string|null} drawn_at
 * @property {string[]} [entrant_ids]
 * @property {string[]} [verify]
 * @property {number} [media_time]
 */

/**
 * The join ack's `selling`: what is running in the show now.
 * @typedef {object} SellingState
 * @property {Auction|null} auction
 * @property {Deal[]} deals
 * @property {Giveaway[]} giveaways
 */

// ---- reviews and signals ------------------------------------------------------------------------

/**
 * GET /api/products/{id}: the product with its review summary.
 * @typedef {object} ProductDetail
 * @property {string} id
 * @property {string} brand_id
 * @property {string} sku
 * @property {string} title
 * @property {number} price_cents
 * @property {string} currency
 * @property {number} stock
 * @property {number} commission_bps
 * @property {string|null} image_url
 * @property {string|null} description
 * @property {string} created_at
 * @property {string} updated_at
 * @property {ReviewSummary} reviews
 */

/**
 * Visible reviews of a product: how many, the mean rating (null without reviews), and how many per star.
 * @typedef {object} ReviewSummary
 * @property {number} count
 * @property {number|null} average
 * @property {Object<string, number>} histogram "1" … "5" → reviews with that rating
 */

/**
 * A review. Hidden by moderation: `rating` and `text` are null and `hidden` says why. The owning brand
 * and admin also get `order_id`, `show_id` and `reports`; admin `buyer_id`.
 * @typedef {object} Review
 * @property {string} id
 * @property {string} product_id
 * @property {string} buyer_name
 * @property {true} verified_buyer
 * @property {number|null} rating
 * @property {string|null} text
 * @property {string} created_at
 * @property {ReviewReply|null} reply
 * @property {ReviewHidden|null} hidden
 * @property {string} [order_id]
 * @property {string} [show_id]
 * @property {ReviewReport[]} [reports]
 * @property {string} [buyer_id]
 */

/**
 * The brand's one reply.
 * @typedef {object} ReviewReply
 * @property {string} text
 * @property {string} at
 */

/**
 * Why a review is hidden; `label` is always "hidden by moderation".
 * @typedef {object} ReviewHidden
 * @property {string} label
 * @property {string} reason
 * @property {string} at
 */

/**
 * A report on a review (owning brand and admin see them).
 * @typedef {object} ReviewReport
 * @property {string} by
 * @property {string} reason
 * @property {string} at
 */

/**
 * GET /api/products/{id}/reviews: newest first; `next_before` is null on the last page.
 * @typedef {object} ReviewPage
 * @property {string} product_id
 * @property {ReviewSummary} summary
 * @property {Review[]} reviews
 * @property {string|null} next_before
 */

/**
 * GET /api/products/{id}/reviewable: the caller's orders whose line of the product they may review now.
 * @typedef {object} Reviewable
 * @property {string} product_id
 * @property {string[]} order_ids
 */

/**
 * POST /api/reviews/{id}/report (201, or 200 with reported: false when this account reported it before).
 * @typedef {object} ReportReply
 * @property {Review} review
 * @property {boolean} reported
 */

/**
 * Fake-order and fake-review signals (docs/security.md): in a show's stats and GET /api/products/{id}/signals.
 * @typedef {object} Signals
 * @property {number} paid_orders
 * @property {number} refunded_orders
 * @property {object[]} buyers_with_many_orders {buyer_id, orders}
 * @property {object[]} addresses_with_many_orders {label, orders, buyers}
 * @property {object[]} reviews_by_new_accounts {review_id, product_id, buyer_id, account_age_hours}
 * @property {object[]} review_bursts {product_id, reviews, first_at, last_at}
 * @property {object[]} shared_client_addresses {label, accounts, buyers, reviewers}
 * @property {object[]} shared_shipping_addresses {label, buyers, orders}
 * @property {object[]} quick_full_refunds {host_id, orders, order_ids}
 * @property {object[]} [bids_from_seller_addresses] a show's: {bidder_id, label, bids, shares_with}
 * @property {object[]} [bidders_who_never_pay] a show's: {bidder_id, bids, unpaid_wins}
 */

/**
 * GET /api/products/{id}/signals (the owning brand, admin).
 * @typedef {object} ProductSignals
 * @property {string} product_id
 * @property {string} at
 * @property {Signals} signals
 */

// ---- errors -------------------------------------------------------------------------------------

/**
 * Every HTTP error: {"error": ApiErrorInfo}.
 * @typedef {object} ApiErrorBody
 * @property {ApiErrorInfo} error
 */

/**
 * The error's code and message, then its details (which depend on the code; the pages read these).
 * @typedef {object} ApiErrorInfo
 * @property {string} code
 * @property {string} message
 * @property {Object<string, string>} [fields] bad_request: a message per invalid field
 * @property {string[]} [product_ids] out_of_stock, not_pinned, limit_exceeded, price_changed
 * @property {number} [min_cents] bid_too_low: the lowest valid bid now
 * @property {Object<string, number>} [available] out_of_stock: units left per short product
 * @property {number} [limit] limit_exceeded: the most units of a product one buyer may have
 * @property {number} [expected_total_cents] price_changed: the total the buyer was shown (sent with the checkout)
 * @property {number} [total_cents] price_changed: the total the cart costs now
 */

// ---- the live room (Socket.IO) ------------------------------------------------------------------

/**
 * The ack of `join`: the room as it is now.
 * @typedef {object} JoinAck
 * @property {true} ok
 * @property {Show} show
 * @property {Pin[]} pins
 * @property {StockLevel[]} stock
 * @property {Question[]} questions
 * @property {ChatMessage[]} chat
 * @property {number} viewers
 * @property {You|null} you
 * @property {SellingState} selling
 */

/**
 * Who joined, when `join` carried a token.
 * @typedef {object} You
 * @property {string} id
 * @property {string} name
 * @property {"admin"|"host"|"brand"|"viewer"} role
 */

/**
 * The ack of any other event: {ok: true, ...} or {ok: false, error}.
 * @typedef {object} Ack
 * @property {boolean} ok
 * @property {AckError} [error]
 */

/**
 * @typedef {object} AckError
 * @property {string} code
 * @property {string} message
 */

/**
 * @typedef {object} ChatMessage
 * @property {string} id
 * @property {string} viewer_id
 * @property {string} name
 * @property {string} text
 * @property {string} at
 */

/**
 * @typedef {object} Question
 * @property {string} id
 * @property {string} viewer_id
 * @property {string} text
 * @property {string} name
 * @property {number} votes
 * @property {"open"|"answered"|"featured"} status
 * @property {string} at
 */

/**
 * A product's stock: the join snapshot's `stock` entries and the `stock` event.
 * @typedef {object} StockLevel
 * @property {string} product_id
 * @property {number} stock
 */

/**
 * @typedef {object} ViewersEvent
 * @property {number} count
 */

/**
 * @typedef {object} RemovedEvent
 * @property {string} message_id
 */

/**
 * The `pin` event: a Pin plus the media time of the frame on air when it was pinned (null: no video).
 * @typedef {object} PinEvent
 * @property {Product} product
 * @property {string} pinned_at
 * @property {number|null} media_time RTP timestamp (90 kHz, 32-bit) of the forwarded video
 */

/**
 * @typedef {object} UnpinEvent
 * @property {string} product_id
 * @property {number|null} media_time
 */

/**
 * @typedef {object} SaleEvent
 * @property {string} product_id
 * @property {string} title
 * @property {number} qty
 * @property {string} buyer
 */

/**
 * @typedef {object} ShowEvent
 * @property {"scheduled"|"live"|"paused"|"ended"} status
 */

/**
 * What each server → room event carries, by event name.
 * @typedef {object} RoomEvents
 * @property {ChatMessage[]} chat
 * @property {Question[]} questions
 * @property {Object<string, number>} reactions
 * @property {ViewersEvent} viewers
 * @property {RemovedEvent} removed
 * @property {PinEvent} pin
 * @property {UnpinEvent} unpin
 * @property {StockLevel} stock
 * @property {SaleEvent} sale
 * @property {ShowEvent} show
 * @property {Auction} auction
 * @property {Deal} deal
 * @property {Giveaway} giveaway
 */

// ---- Connect: campaigns, applications, links, co-hosts, payouts (docs/protocol.md#connect-campaigns-co-hosts-payouts)

/**
 * @typedef {object} Campaign
 * @property {string} id
 * @property {string} brand_id
 * @property {string} title
 * @property {string} brief
 * @property {string[]} product_ids
 * @property {number} commission_bps
 * @property {string} starts_at
 * @property {string} ends_at
 * @property {boolean} open
 * @property {number|null} max_hosts
 * @property {number|null} units_cap
 * @property {number} units_sold
 * @property {"draft"|"active"|"ended"} status
 * @property {string} created_at
 * @property {string|null} ended_at
 */

/**
 * @typedef {object} CampaignList
 * @property {Campaign[]} campaigns
 * @property {string|null} next_before
 */

/**
 * @typedef {object} Application
 * @property {string} id
 * @property {string} campaign_id
 * @property {string} host_id
 * @property {string} pitch
 * @property {"pending"|"approved"|"rejected"} status
 * @property {string} created_at
 * @property {string|null} decided_at
 */

/**
 * An application as its campaign's brand reads it.
 * @typedef {object} CampaignApplication
 * @property {string} id
 * @property {string} campaign_id
 * @property {string} host_id
 * @property {string|null} host_name
 * @property {string} pitch
 * @property {"pending"|"approved"|"rejected"} status
 * @property {string} created_at
 * @property {string|null} decided_at
 */

/**
 * @typedef {object} CampaignApplicationList
 * @property {CampaignApplication[]} applications
 */

/**
 * @typedef {object} ShareLink
 * @property {string} code
 * @property {string} url
 * @property {string} campaign_id
 * @property {string} host_id
 * @property {string} created_at
 */

/**
 * An application as its host reads it, with the campaign and the host's share link (once taken).
 * @typedef {object} HostApplication
 * @property {string} id
 * @property {string} campaign_id
 * @property {string} host_id
 * @property {string} pitch
 * @property {"pending"|"approved"|"rejected"} status
 * @property {string} created_at
 * @property {string|null} decided_at
 * @property {Campaign|null} campaign
 * @property {ShareLink|null} link
 */

/**
 * @typedef {object} HostApplicationList
 * @property {HostApplication[]} applications
 */

/**
 * @typedef {object} Invitation
 * @property {string} id
 * @property {string} campaign_id
 * @property {string} host_id
 * @property {"pending"|"accepted"} status
 * @property {string} created_at
 */

/**
 * A campaign invitation as its host reads it, with the campaign.
 * @typedef {object} HostInvitation
 * @property {string} id
 * @property {string} campaign_id
 * @property {string} host_id
 * @property {"pending"|"accepted"} status
 * @property {string} created_at
 * @property {Campaign|null} campaign
 */

/**
 * @typedef {object} HostInvitationList
 * @property {HostInvitation[]} invitations
 */

/**
 * @typedef {object} Attribution
 * @property {string} code
 * @property {string} campaign_id
 * @property {string} host_id
 * @property {string} at
 * @property {string} expires_at
 * @property {string} storefront_show_id
 */

/**
 * @typedef {object} CampaignMoney
 * @property {string} currency
 * @property {number} gmv_cents
 * @property {number} refunds_cents
 * @property {number} net_gmv_cents
 * @property {number} commission_cents
 */

/**
 * @typedef {object} LinkFigures
 * @property {string} code
 * @property {string} url
 * @property {number} clicks
 * @property {number} viewers
 * @property {number} sales
 */

/**
 * @typedef {object} HostPerformance
 * @property {string} host_id
 * @property {string} host_name
 * @property {number} shows
 * @property {number} viewers_reached
 * @property {number} orders
 * @property {number} units
 * @property {number} buyers
 * @property {CampaignMoney[]} money
 * @property {number} conversion
 * @property {LinkFigures|null} link
 */

/**
 * @typedef {object} CampaignPerformance
 * @property {string} campaign_id
 * @property {HostPerformance[]} hosts
 */

/**
 * @typedef {object} Cohost
 * @property {string} show_id
 * @property {string} host_id
 * @property {number} share_bps
 * @property {"invited"|"active"} status
 * @property {string} invited_at
 * @property {string|null} accepted_at
 */

/**
 * @typedef {object} NamedCohost
 * @property {string} show_id
 * @property {string} host_id
 * @property {string|null} host_name
 * @property {number} share_bps
 * @property {"invited"|"active"} status
 * @property {string} invited_at
 * @property {string|null} accepted_at
 */

/**
 * @typedef {object} CohostList
 * @property {string} show_id
 * @property {string} host_id
 * @property {NamedCohost[]} cohosts
 */

/**
 * @typedef {object} Balance
 * @property {string} currency
 * @property {number} pending_cents
 * @property {number} available_cents
 * @property {number} paid_cents
 * @property {number} negative_cents
 */

/**
 * @typedef {object} BalanceList
 * @property {string} host_id
 * @property {Balance[]} balances
 */

/**
 * @typedef {object} Payout
 * @property {string} id
 * @property {string} host_id
 * @property {string} currency
 * @property {number} amount_cents
 * @property {"pending"|"paid"|"failed"} status
 * @property {string} created_at
 * @property {string|null} paid_at
 */

/**
 * @typedef {object} PayoutList
 * @property {string} host_id
 * @property {Payout[]} payouts
 */

/**
 * @typedef {object} LineupAdded
 * @property {string} show_id
 * @property {Product} product
 * @property {boolean} added
 */

export {};
