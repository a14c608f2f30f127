"""Real third-party WebRTC clients (FFmpeg's WHIP muxer, GStreamer's webrtcbin) driven as subprocesses."""
