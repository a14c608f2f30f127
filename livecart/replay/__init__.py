"""Shoppable replay: the show's timeline on the recording's clock, and the recorded file served to
the replay page (docs/media.md, "Replay"; docs/protocol.md, "Replay")."""
