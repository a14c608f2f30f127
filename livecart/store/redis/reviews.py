"""Product reviews in Redis: a hash per review, its reports in a hash beside it, sorted sets per product
and per show, a claim per order line (once per line), and per-product rating counts kept by the same
scripts that add and hide reviews (keys in livecart/store/redis/keys.py)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import cast

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors, store_checks
from livecart.domain.reviews import Hidden, Reply, Report, Review, ReviewCursor, ReviewSummary
from livecart.store.redis import codec, keys
from livecart.store.redis.lua import Script

# KEYS: line claim, review hash, product's reviews, show's reviews, product's ratings, reviews with an address
# ARGV: review id, score (µs), rating, has address (0/1), then the review's fields as field, value, …
# Returns 1, or 0 when the line was already reviewed (nothing written).
_ADD = Script(
    """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], unpack(ARGV, 5))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('HINCRBY', KEYS[5], ARGV[3], 1)
if ARGV[4] == '1' then redis.call('ZADD', KEYS[6], ARGV[2], ARGV[1]) end
return 1
"""
)

# KEYS: review hash. ARGV: text, at. Returns -1 no review, 0 already replied, 1 replied.
_REPLY = Script(
    """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'reply_text') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'reply_text', ARGV[1], 'reply_at', ARGV[2])
return 1
"""
)

# KEYS: review hash, its reports. ARGV: reporter id, report JSON. Returns -1 no review, 0 reported before, 1 added.
_REPORT = Script(
    """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
"""
)

# KEYS: review hash, the product's ratings. ARGV: reason, at.
# A visible review leaves the rating counts once; hiding again only replaces the reason. Returns -1 no review.
_HIDE = Script(
    """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'hidden_at') == 0 then
  redis.call('HINCRBY', KEYS[2], redis.call('HGET', KEYS[1], 'rating'), -1)
end
redis.call('HSET', KEYS[1], 'hidden_reason', ARGV[1], 'hidden_at', ARGV[2])
return 1
"""
)

SCRIPTS: tuple[Script, ...] = (_ADD, _REPLY, _REPORT, _HIDE)

FORGET_BATCH = 500


def _review(data: dict[str, str], reports: dict[str, str]) -> Review:
    reply_at, hidden_at = codec.from_text(data.get("reply_at")), codec.from_text(data.get("hidden_at"))
    listed = []
    for by, raw in reports.items():
        report = json.loads(raw)
        listed.append(Report(by, report["reason"], datetime.fromisoformat(report["at"])))
    return Review(
        id=data["id"],
        product_id=data["product_id"],
        brand_id=data["brand_id"],
        order_id=data["order_id"],
        show_id=data["show_id"],
        host_id=data["host_id"],
        buyer_id=data["buyer_id"],
        buyer_name=data["buyer_name"],
        rating=int(data["rating"]),
        text=data.get("text", ""),
        created_at=datetime.fromisoformat(data["created_at"]),
        ordered_at=datetime.fromisoformat(data["ordered_at"]),
        client_ip=data.get("client_ip"),
        reply=Reply(data["reply_text"], reply_at) if reply_at is not None else None,
        hidden=Hidden(data["hidden_reason"], hidden_at) if hidden_at is not None else None,
        reports=tuple(sorted(listed, key=lambda report: (report.at, report.by))),
    )


class RedisReviews:
    _redis: Redis
    _clock: Clock

    async def add_review(self, review: Review) -> Review:
        store_checks.review_shape(review)
        values = codec.fields(
            id=review.id,
            product_id=review.product_id,
            brand_id=review.brand_id,
            order_id=review.order_id,
            show_id=review.show_id,
            host_id=review.host_id,
            buyer_id=review.buyer_id,
            buyer_name=review.buyer_name,
            rating=review.rating,
            text=review.text,
            created_at=review.created_at,
            ordered_at=review.ordered_at,
            client_ip=review.client_ip,
        )
        added = await _ADD(
            self._redis,
            [
                keys.reviewed_line(review.order_id, review.product_id),
                keys.review(review.id),
                keys.product_reviews(review.product_id),
                keys.show_reviews(review.show_id),
                keys.product_ratings(review.product_id),
                keys.reviews_with_client_ip(),
            ],
            [
                review.id,
                codec.micros(review.created_at),
                review.rating,
                int(review.client_ip is not None),
                *codec.pairs(values),
            ],
        )
        if not added:
            raise errors.already_reviewed(review.order_id, review.product_id)
        return review

    async def get_review(self, review_id: str) -> Review | None:
        found = await self._reviews([review_id])
        return found[0] if found else None

    async def _reviews(self, review_ids: list[str]) -> list[Review]:
        if not review_ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for review_id in review_ids:
                pipe.hgetall(keys.review(review_id))
                pipe.hgetall(keys.review_reports(review_id))
            replies = await pipe.execute()
        found = []
        for n in range(0, len(replies), 2):
            data = cast(dict[str, str], replies[n])
            if data:
                found.append(_review(data, cast(dict[str, str], replies[n + 1])))
        return found

    async def _newest_first(self, key: str, limit: int | None, before: ReviewCursor | None) -> list[Review]:
        """Members newest first (score = created_at, ties by id descending, as SQLite orders them)."""
        top: str | int = "+inf"
        ids: list[str] = []
        if before is not None:
            score = codec.micros(before[0])
            ties = await self._redis.zrangebyscore(key, score, score)
            ids = sorted((str(member) for member in ties if str(member) < before[1]), reverse=True)
            top = f"({score}"
        if limit is None:
            ids += [str(member) for member in await self._redis.zrevrangebyscore(key, top, "-inf")]
        elif len(ids) < limit:
            ids += [
                str(member)
                for member in await self._redis.zrevrangebyscore(key, top, "-inf", start=0, num=limit - len(ids))
            ]
        return await self._reviews(ids[:limit] if limit is not None else ids)

    async def product_reviews(
        self, product_id: str, limit: int | None = None, *, before: ReviewCursor | None = None
    ) -> list[Review]:
        if limit is not None:
            store_checks.page_limit(limit)
        return await self._newest_first(keys.product_reviews(product_id), limit, before)

    async def show_reviews(self, show_id: str) -> list[Review]:
        return await self._newest_first(keys.show_reviews(show_id), None, None)

    async def review_summary(self, product_id: str) -> ReviewSummary:
        counts = cast(dict[str, str], await self._redis.hgetall(keys.product_ratings(product_id)))
        histogram = [max(0, int(counts.get(str(stars), "0"))) for stars in range(1, 6)]
        return ReviewSummary(sum(histogram), (histogram[0], histogram[1], histogram[2], histogram[3], histogram[4]))

    async def reply_to_review(self, review_id: str, text: str) -> Review:
        done = await _REPLY(self._redis, [keys.review(review_id)], [text, self._clock.now().isoformat()])
        if done == -1:
            raise errors.no_such_review(review_id)
        if done == 0:
            raise errors.already_replied(review_id)
        return await self._review_or_404(review_id)

    async def report_review(self, review_id: str, by: str, reason: str) -> tuple[Review, bool]:
        report = json.dumps({"reason": reason, "at": self._clock.now().isoformat()})
        added = await _REPORT(self._redis, [keys.review(review_id), keys.review_reports(review_id)], [by, report])
        if added == -1:
            raise errors.no_such_review(review_id)
        return await self._review_or_404(review_id), added == 1

    async def hide_review(self, review_id: str, reason: str) -> Review:
        product_id = await self._redis.hget(keys.review(review_id), "product_id")  # never changes once written
        if product_id is None:
            raise errors.no_such_review(review_id)
        await _HIDE(
            self._redis,
            [keys.review(review_id), keys.product_ratings(str(product_id))],
            [reason, self._clock.now().isoformat()],
        )
        return await self._review_or_404(review_id)

    async def forget_review_addresses(self, older_than: datetime) -> int:
        index = keys.reviews_with_client_ip()
        forgotten = 0
        while True:
            batch = [
                str(member)
                for member in await self._redis.zrangebyscore(
                    index, "-inf", f"({codec.micros(older_than)}", start=0, num=FORGET_BATCH
                )
            ]
            if not batch:
                return forgotten
            async with self._redis.pipeline(transaction=True) as pipe:
                for review_id in batch:
                    pipe.hdel(keys.review(review_id), "client_ip")
                pipe.zrem(index, *batch)
                replies = await pipe.execute()
            forgotten += sum(int(reply) for reply in replies[: len(batch)])

    async def _review_or_404(self, review_id: str) -> Review:
        review = await self.get_review(review_id)
        if review is None:
            raise errors.no_such_review(review_id)
        return review
