"""Product reviews in SQLite: one row per reviewed order line (unique), the brand's reply and the
moderator's hiding in the same row, reports in their own table."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from livecart.clock import Clock
from livecart.domain import errors, store_checks
from livecart.domain.reviews import Hidden, Reply, Report, Review, ReviewCursor, ReviewSummary, summarize
from livecart.store.sqlite import rows
from livecart.store.sqlite.db import Constraint, Database, Migration

MIGRATIONS: list[Migration] = [
    Migration(
        20,
        "reviews",
        """
        CREATE TABLE reviews (
            id TEXT PRIMARY KEY,
            product_id TEXT NOT NULL,
            brand_id TEXT NOT NULL,
            order_id TEXT NOT NULL,
            show_id TEXT NOT NULL,
            host_id TEXT NOT NULL,
            buyer_id TEXT NOT NULL,
            buyer_name TEXT NOT NULL,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            ordered_at TEXT NOT NULL,
            client_ip TEXT,
            reply_text TEXT,
            reply_at TEXT,
            hidden_reason TEXT,
            hidden_at TEXT,
            UNIQUE (order_id, product_id)
        );
        CREATE INDEX reviews_product ON reviews (product_id, created_at, id);
        CREATE INDEX reviews_show ON reviews (show_id, created_at, id);
        CREATE INDEX reviews_with_client_ip ON reviews (created_at) WHERE client_ip IS NOT NULL;
        CREATE TABLE review_reports (
            review_id TEXT NOT NULL REFERENCES reviews (id),
            by_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (review_id, by_id)
        )
        """,
    ),
]

REVIEWED_LINE = Constraint.unique("reviews", "order_id", "product_id")


def _review(row: sqlite3.Row, reports: list[Report]) -> Review:
    reply_at, hidden_at = rows.from_text(row["reply_at"]), rows.from_text(row["hidden_at"])
    return Review(
        id=row["id"],
        product_id=row["product_id"],
        brand_id=row["brand_id"],
        order_id=row["order_id"],
        show_id=row["show_id"],
        host_id=row["host_id"],
        buyer_id=row["buyer_id"],
        buyer_name=row["buyer_name"],
        rating=row["rating"],
        text=row["text"],
        created_at=datetime.fromisoformat(row["created_at"]),
        ordered_at=datetime.fromisoformat(row["ordered_at"]),
        client_ip=row["client_ip"],
        reply=Reply(row["reply_text"], reply_at) if reply_at is not None else None,
        hidden=Hidden(row["hidden_reason"], hidden_at) if hidden_at is not None else None,
        reports=tuple(reports),
    )


def _with_reports(conn: sqlite3.Connection, found: list[sqlite3.Row]) -> list[Review]:
    reports: dict[str, list[Report]] = {}
    if found:
        marks = ",".join("?" * len(found))
        for row in conn.execute(
            f"SELECT * FROM review_reports WHERE review_id IN ({marks}) ORDER BY at, by_id",
            tuple(row["id"] for row in found),
        ):
            reports.setdefault(row["review_id"], []).append(
                Report(row["by_id"], row["reason"], datetime.fromisoformat(row["at"]))
            )
    return [_review(row, reports.get(row["id"], [])) for row in found]


def _get(conn: sqlite3.Connection, review_id: str) -> Review | None:
    found = conn.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)).fetchall()
    return _with_reports(conn, found)[0] if found else None


def _insert(conn: sqlite3.Connection, review: Review) -> Review:
    taken = conn.execute(
        "SELECT 1 FROM reviews WHERE order_id = ? AND product_id = ?", (review.order_id, review.product_id)
    ).fetchone()
    if taken:
        raise errors.already_reviewed(review.order_id, review.product_id)
    conn.execute(
        "INSERT INTO reviews (id, product_id, brand_id, order_id, show_id, host_id, buyer_id, buyer_name, rating,"
        " text, created_at, ordered_at, client_ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            review.id,
            review.product_id,
            review.brand_id,
            review.order_id,
            review.show_id,
            review.host_id,
            review.buyer_id,
            review.buyer_name,
            review.rating,
            review.text,
            rows.to_text(review.created_at),
            rows.to_text(review.ordered_at),
            review.client_ip,
        ),
    )
    return review


def _page(
    conn: sqlite3.Connection, column: str, value: str, limit: int | None, before: ReviewCursor | None
) -> list[Review]:
    """Reviews where `column` = `value`, newest first (created_at, id descending), after `before`."""
    where: list[str] = [f"{column} = ?"]
    args: list[object] = [value]
    if before is not None:
        created = rows.to_text(before[0])
        where.append("(created_at < ? OR (created_at = ? AND id < ?))")
        args += [created, created, before[1]]
    sql = f"SELECT * FROM reviews WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return _with_reports(conn, conn.execute(sql, args).fetchall())


def _reply(conn: sqlite3.Connection, review_id: str, text: str, at: datetime) -> Review:
    review = _get(conn, review_id)
    if review is None:
        raise errors.no_such_review(review_id)
    if review.reply is not None:
        raise errors.already_replied(review_id)
    conn.execute("UPDATE reviews SET reply_text = ?, reply_at = ? WHERE id = ?", (text, rows.to_text(at), review_id))
    found = _get(conn, review_id)
    assert found is not None
    return found


def _report(conn: sqlite3.Connection, review_id: str, by: str, reason: str, at: datetime) -> tuple[Review, bool]:
    if _get(conn, review_id) is None:
        raise errors.no_such_review(review_id)
    added = conn.execute(
        "INSERT INTO review_reports (review_id, by_id, reason, at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (review_id, by_id) DO NOTHING",
        (review_id, by, reason, rows.to_text(at)),
    ).rowcount
    found = _get(conn, review_id)
    assert found is not None
    return found, added == 1


def _hide(conn: sqlite3.Connection, review_id: str, reason: str, at: datetime) -> Review:
    if _get(conn, review_id) is None:
        raise errors.no_such_review(review_id)
    conn.execute(
        "UPDATE reviews SET hidden_reason = ?, hidden_at = ? WHERE id = ?", (reason, rows.to_text(at), review_id)
    )
    found = _get(conn, review_id)
    assert found is not None
    return found


def _summary(conn: sqlite3.Connection, product_id: str) -> ReviewSummary:
    counts = conn.execute(
        "SELECT rating, COUNT(*) FROM reviews WHERE product_id = ? AND hidden_at IS NULL GROUP BY rating",
        (product_id,),
    ).fetchall()
    return summarize(rating for rating, count in counts for _ in range(count))


def _forget(conn: sqlite3.Connection, older_than: datetime) -> int:
    return conn.execute(
        "UPDATE reviews SET client_ip = NULL WHERE client_ip IS NOT NULL AND created_at < ?",
        (rows.to_text(older_than),),
    ).rowcount


class SqliteReviews:
    _db: Database
    _clock: Clock

    async def add_review(self, review: Review) -> Review:
        store_checks.review_shape(review)
        return await self._db.transaction(
            _insert,
            review,
            on_constraint={REVIEWED_LINE: lambda: errors.already_reviewed(review.order_id, review.product_id)},
        )

    async def get_review(self, review_id: str) -> Review | None:
        return await self._db.read(_get, review_id)

    async def product_reviews(
        self, product_id: str, limit: int | None = None, *, before: ReviewCursor | None = None
    ) -> list[Review]:
        if limit is not None:
            store_checks.page_limit(limit)
        return await self._db.read(_page, "product_id", product_id, limit, before)

    async def show_reviews(self, show_id: str) -> list[Review]:
        return await self._db.read(_page, "show_id", show_id, None, None)

    async def review_summary(self, product_id: str) -> ReviewSummary:
        return await self._db.read(_summary, product_id)

    async def reply_to_review(self, review_id: str, text: str) -> Review:
        return await self._db.transaction(_reply, review_id, text, self._clock.now())

    async def report_review(self, review_id: str, by: str, reason: str) -> tuple[Review, bool]:
        return await self._db.transaction(_report, review_id, by, reason, self._clock.now())

    async def hide_review(self, review_id: str, reason: str) -> Review:
        return await self._db.transaction(_hide, review_id, reason, self._clock.now())

    async def forget_review_addresses(self, older_than: datetime) -> int:
        return await self._db.transaction(_forget, older_than)
