// Test page script for tests/media/test_interop_eyevinn.py, bundled at test time with esbuild from
// node_modules (nothing third-party is committed): Eyevinn's WHIP client publishes the fake camera and
// Eyevinn's WebRTC player plays over WHEP, both with their default options.
import { WHIPClient } from "@eyevinn/whip-web-client";
import { WebRTCPlayer } from "@eyevinn/webrtc-player";

window.publish = async (endpoint, token) => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
  const client = new WHIPClient({ endpoint, opts: { authkey: token } });
  await client.ingest(stream);
  window.whip = client;
  return await client.getResourceUrl();
};

window.play = async (url) => {
  const video = document.getElementById("v");
  const player = new WebRTCPlayer({ video, type: "whep" });
  await player.load(new URL(url));
  player.unmute();
  window.player = player;
};

window.playing = () => {
  const video = document.getElementById("v");
  return { width: video.videoWidth, time: video.currentTime };
};
