-- A database written by livecart before migrations were numbered (main at 810b634): the schema_migrations
-- names are the old ones. tests/store/test_sqlite_migrations.py opens it with today's code.
-- Made by: a brand (brd_ccf386e0c3578f84), a host (hst_4aaeca3501ba7204, token hiLlYGhxfdj0f90TXVkFlywPwNFpPt2B),
-- a product in a show's lineup, pinned, and a secret.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO schema_migrations VALUES('0001_accounts','2026-11-29T16:23:17.165Z');
INSERT INTO schema_migrations VALUES('0002_products','2026-11-29T16:23:17.165Z');
INSERT INTO schema_migrations VALUES('0003_shows','2026-11-29T16:23:17.167Z');
INSERT INTO schema_migrations VALUES('0004_lineup_by_product','2026-11-29T16:23:17.167Z');
INSERT INTO schema_migrations VALUES('commerce_0001_pins_carts_idempotency','2026-11-29T16:23:17.167Z');
INSERT INTO schema_migrations VALUES('commerce_0004_idempotency_by_time','2026-11-29T16:23:17.168Z');
INSERT INTO schema_migrations VALUES('commerce_0002_orders_ledger','2026-11-29T16:23:17.169Z');
INSERT INTO schema_migrations VALUES('commerce_0003_order_client_ip','2026-11-29T16:23:17.170Z');
INSERT INTO schema_migrations VALUES('commerce_0005_orders_with_client_ip','2026-11-29T16:23:17.171Z');
INSERT INTO schema_migrations VALUES('0101_live','2026-11-29T16:23:17.171Z');
INSERT INTO schema_migrations VALUES('0102_live_settings','2026-11-29T16:23:17.172Z');
INSERT INTO schema_migrations VALUES('0004_secrets','2026-11-29T16:23:17.172Z');
CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('host', 'brand', 'viewer')),
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            deleted_at TEXT
        );
INSERT INTO accounts VALUES('brd_ccf386e0c3578f84','brand','Aurora Beauty','84a2b0776bc4fadeb8c1bd6ff377332a9803116a03337d19e1d7abd3cda4788c','2026-11-29T16:23:17.172967+00:00',NULL);
INSERT INTO accounts VALUES('hst_4aaeca3501ba7204','host','Mia Live','26d227b8ce410e963dcc366c601149fb828567ad7669a2b2a0991ae4ec5c3d63','2026-11-29T16:23:17.173612+00:00',NULL);
CREATE TABLE products (
            id TEXT PRIMARY KEY,
            brand_id TEXT NOT NULL REFERENCES accounts(id),
            sku TEXT NOT NULL,
            title TEXT NOT NULL,
            price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
            currency TEXT NOT NULL,
            stock INTEGER NOT NULL CHECK (stock >= 0),
            commission_bps INTEGER NOT NULL CHECK (commission_bps BETWEEN 0 AND 10000),
            image_url TEXT,
            description TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (brand_id, sku)
        );
INSERT INTO products VALUES('prd_d35ea902af9876e1','brd_ccf386e0c3578f84','SKU-1','Lipstick',1900,'EUR',10,1000,NULL,NULL,'2026-11-29T16:23:17.174018+00:00','2026-11-29T16:23:17.174018+00:00');
CREATE TABLE shows (
            id TEXT PRIMARY KEY,
            host_id TEXT NOT NULL REFERENCES accounts(id),
            title TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('scheduled', 'live', 'ended')),
            scheduled_at TEXT,
            started_at TEXT,
            ended_at TEXT,
            created_at TEXT NOT NULL
        );
INSERT INTO shows VALUES('shw_87aea47709561415','hst_4aaeca3501ba7204','Friday Glow-Up','scheduled',NULL,NULL,NULL,'2026-11-29T16:23:17.174449+00:00');
CREATE TABLE lineup (
            show_id TEXT NOT NULL REFERENCES shows(id),
            product_id TEXT NOT NULL REFERENCES products(id),
            added_at TEXT NOT NULL,
            PRIMARY KEY (show_id, product_id)
        );
INSERT INTO lineup VALUES('shw_87aea47709561415','prd_d35ea902af9876e1','2026-11-29T16:23:17.175030+00:00');
CREATE TABLE pins (
            id INTEGER PRIMARY KEY,
            show_id TEXT NOT NULL REFERENCES shows(id),
            product_id TEXT NOT NULL REFERENCES products(id),
            pinned_at TEXT NOT NULL,
            unpinned_at TEXT
        );
INSERT INTO pins VALUES(1,'shw_87aea47709561415','prd_d35ea902af9876e1','2026-11-29T16:23:17.175610+00:00',NULL);
CREATE TABLE cart_items (
            show_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            product_id TEXT NOT NULL REFERENCES products(id),
            qty INTEGER NOT NULL CHECK (qty > 0),
            added_at TEXT NOT NULL,
            PRIMARY KEY (show_id, viewer_id, product_id)
        );
CREATE TABLE cart_adds (
            id INTEGER PRIMARY KEY,
            show_id TEXT NOT NULL,
            product_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            qty INTEGER NOT NULL,
            at TEXT NOT NULL
        );
CREATE TABLE idempotency_keys (
            viewer_id TEXT NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            response_status INTEGER,
            response_body TEXT,
            order_id TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (viewer_id, key)
        );
CREATE TABLE orders (
            id TEXT PRIMARY KEY,
            show_id TEXT NOT NULL REFERENCES shows(id),
            host_id TEXT NOT NULL,
            buyer_id TEXT NOT NULL,
            buyer_name TEXT NOT NULL,
            currency TEXT NOT NULL,
            shipping TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
            idempotency_key TEXT,
            payment_ref TEXT,
            created_at TEXT NOT NULL,
            paid_at TEXT
        , client_ip TEXT);
CREATE TABLE order_lines (
            order_id TEXT NOT NULL REFERENCES orders(id),
            position INTEGER NOT NULL,
            product_id TEXT NOT NULL REFERENCES products(id),
            brand_id TEXT NOT NULL,
            title TEXT NOT NULL,
            unit_price_cents INTEGER NOT NULL,
            qty INTEGER NOT NULL CHECK (qty > 0),
            commission_bps INTEGER NOT NULL,
            platform_fee_bps INTEGER NOT NULL,
            line_total_cents INTEGER NOT NULL,
            commission_cents INTEGER NOT NULL,
            platform_fee_cents INTEGER NOT NULL,
            refunded_qty INTEGER NOT NULL DEFAULT 0 CHECK (refunded_qty BETWEEN 0 AND qty),
            PRIMARY KEY (order_id, product_id)
        );
CREATE TABLE buyer_units (
            buyer_id TEXT NOT NULL,
            product_id TEXT NOT NULL,
            units INTEGER NOT NULL CHECK (units >= 0),
            PRIMARY KEY (buyer_id, product_id)
        );
CREATE TABLE refunds (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders(id),
            show_id TEXT NOT NULL,
            by_account TEXT NOT NULL,
            lines TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
CREATE TABLE ledger (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            order_id TEXT NOT NULL REFERENCES orders(id),
            refund_id TEXT,
            show_id TEXT NOT NULL,
            product_id TEXT NOT NULL,
            account TEXT NOT NULL,
            party_id TEXT,
            amount_cents INTEGER NOT NULL,
            currency TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
CREATE TABLE live_chat (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            show_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            name TEXT NOT NULL,
            text TEXT NOT NULL,
            at TEXT NOT NULL
        );
CREATE TABLE live_questions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            show_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            name TEXT NOT NULL,
            text TEXT NOT NULL,
            votes INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN ('open', 'answered', 'featured')),
            at TEXT NOT NULL
        );
CREATE TABLE live_votes (
            question_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            PRIMARY KEY (question_id, viewer_id)
        );
CREATE TABLE live_mutes (
            show_id TEXT NOT NULL,
            viewer_id TEXT NOT NULL,
            until TEXT NOT NULL,
            PRIMARY KEY (show_id, viewer_id)
        );
CREATE TABLE live_audience (
            show_id TEXT PRIMARY KEY,
            current_viewers INTEGER NOT NULL DEFAULT 0,
            peak_viewers INTEGER NOT NULL DEFAULT 0,
            chat_messages INTEGER NOT NULL DEFAULT 0,
            questions INTEGER NOT NULL DEFAULT 0
        );
CREATE TABLE live_settings (
            show_id TEXT PRIMARY KEY,
            slow_mode_s REAL NOT NULL DEFAULT 0,
            blocked_words TEXT NOT NULL DEFAULT '[]'
        );
CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
INSERT INTO secrets VALUES('labels',X'2dc4383ff1f2103111ea521c69635357ebb934c109f44fad7e089f8685f64c21');
DELETE FROM sqlite_sequence;
CREATE INDEX products_brand ON products (brand_id)
        ;
CREATE INDEX shows_host ON shows (host_id);
CREATE INDEX lineup_product ON lineup (product_id);
CREATE UNIQUE INDEX pins_open ON pins (show_id, product_id) WHERE unpinned_at IS NULL;
CREATE INDEX pins_show ON pins (show_id, product_id);
CREATE INDEX cart_adds_show ON cart_adds (show_id, product_id);
CREATE INDEX idempotency_created ON idempotency_keys (created_at);
CREATE INDEX orders_show ON orders (show_id, created_at);
CREATE INDEX orders_pending ON orders (status, created_at);
CREATE INDEX ledger_order ON ledger (order_id);
CREATE INDEX ledger_party ON ledger (party_id);
CREATE INDEX ledger_show ON ledger (show_id);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE INDEX orders_with_client_ip ON orders (created_at) WHERE client_ip IS NOT NULL;
CREATE INDEX live_chat_show ON live_chat (show_id, seq);
CREATE INDEX live_questions_show ON live_questions (show_id, seq);
COMMIT;
