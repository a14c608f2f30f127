// livecart's embeddable player: <script src="{livecart}/embed.js" data-show="{show id}" async></script>
// on a brand's page makes an iframe of the compact watch page (/embed/{show id}: video, pinned products,
// add to cart) right after the script. The site must be listed in LIVECART_EMBED_ORIGINS to frame it.
(function () {
  "use strict";
  var scripts = document.querySelectorAll("script[data-show]");
  for (var i = 0; i < scripts.length; i++) {
    var script = scripts[i];
    if (script.getAttribute("data-livecart-embedded") || !/\/embed\.js(\?|#|$)/.test(script.src)) {
      continue;
    }
    script.setAttribute("data-livecart-embedded", "1");
    var frame = document.createElement("iframe");
    frame.src = new URL("/embed/" + encodeURIComponent(script.getAttribute("data-show")), script.src).href;
    frame.title = script.getAttribute("data-title") || "Live show";
    frame.allow = "autoplay; fullscreen; picture-in-picture";
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("data-livecart-show", script.getAttribute("data-show"));
    frame.style.cssText = "border:0;width:100%;max-width:480px;aspect-ratio:9/16;display:block;";
    script.parentNode.insertBefore(frame, script.nextSibling);
  }
})();
