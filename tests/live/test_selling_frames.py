"""A room's frame carries the latest state of each auction, deal and giveaway that changed since the last
one (coalesced by id, in the order of their last change), and keeps a start event's media time."""

from __future__ import annotations

from livecart.domain.chat import ChatRules
from livecart.live.rooms import Room


def test_changes_of_one_format_coalesce_into_its_latest_state_per_frame() -> None:
    room = Room("shw_1", ChatRules(rate_messages=5, rate_seconds=10))
    room.add_selling("auction", {"id": "auc_1", "bids": 0, "media_time": 900})
    room.add_selling("deal", {"id": "del_1", "remaining": 10})
    room.add_selling("auction", {"id": "auc_1", "bids": 1})
    room.add_selling("deal", {"id": "del_1", "remaining": 9})
    room.add_selling("deal", {"id": "del_2", "remaining": 5})
    room.add_selling("deal", {"id": "del_1", "remaining": 8})

    assert not room.idle
    frame = room.take_selling()

    assert frame == [
        ("auction", {"id": "auc_1", "bids": 1, "media_time": 900}),
        ("deal", {"id": "del_2", "remaining": 5}),
        ("deal", {"id": "del_1", "remaining": 8}),
    ]
    assert room.take_selling() == []
    assert room.idle
