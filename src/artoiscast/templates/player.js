// artoiscast player: chapters and transcript cues seek the nearest <audio>; the transcript
// follows playback and can be searched; the embed shows ?n= episodes and loads a transcript
// (JSON, same origin as this file) only when its toggle is opened. No request leaves the show.
(function () {
  "use strict";
  function boxOf(el) { return el.closest("[data-player]") || document; }
  function fmt(t) {
    var s = Math.floor(t), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }

  // embed: the partner page's origin (only its origin, from document.referrer: no cookie, no
  // storage) goes into each audio URL as embed=, so the show's access log tells a partner's plays
  // from the feed's; "-" when there is no referrer (opened directly, a no-referrer policy) or it
  // is the show's own origin. Set before any audio request: the players are preload="none".
  var origin = "-";
  try {
    var from = new URL(document.referrer).origin;
    if (from && from !== "null" && from !== location.origin) origin = from;
  } catch (e) { /* no referrer */ }
  document.querySelectorAll("audio[data-embed]").forEach(function (a) {
    var u = new URL(a.getAttribute("src"), location.href);
    u.searchParams.set("embed", origin);  // percent-encoded: ":" as %3A, "/" as %2F
    a.setAttribute("src", u.href);
  });

  // embed: show the first ?n= episodes (default 5)
  var list = document.querySelector("[data-embed-list]");
  if (list) {
    var n = parseInt(new URLSearchParams(location.search).get("n") || "5", 10);
    if (!(n > 0)) n = 5;
    Array.prototype.forEach.call(list.children, function (li, i) { li.hidden = i >= n; });
  }

  // click on a chapter, a cue's time button or a cue's text: seek and play
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-seek]");
    if (!b || (b.tagName !== "BUTTON" && String(window.getSelection()))) return;  // a text selection is not a click
    var a = boxOf(b).querySelector("audio");
    if (!a) return;
    a.currentTime = parseFloat(b.getAttribute("data-seek"));
    var p = a.play();
    if (p && p.catch) p.catch(function () {});
  });

  // search: hide the cues that do not contain the words typed
  document.addEventListener("input", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("[data-transcript-search]")) return;
    var scope = input.closest(".transcript"), q = input.value.trim().toLowerCase(), shown = 0;
    var items = scope.querySelectorAll(".cues li");
    items.forEach(function (li) {
      var hit = !q || li.textContent.toLowerCase().indexOf(q) >= 0;
      li.hidden = !hit;
      if (hit) shown++;
    });
    var found = scope.querySelector(".found");
    if (found) found.textContent = q ? (shown ? shown + (shown > 1 ? " passages trouvés" : " passage trouvé") : "Aucun passage trouvé") : "";
  });

  // embed: build the transcript from its JSON the first time it is opened (text only, no markup)
  document.querySelectorAll("details[data-transcript-src]").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (!d.open || d.getAttribute("data-loaded")) return;
      d.setAttribute("data-loaded", "1");
      var ol = d.querySelector(".cues");
      fetch(d.getAttribute("data-transcript-src")).then(function (r) { return r.json(); }).then(function (doc) {
        var prev = null;
        (doc.segments || []).forEach(function (s) {
          var li = document.createElement("li"), b = document.createElement("button"), tm = document.createElement("time");
          li.setAttribute("data-seek", s.startTime);
          b.type = "button";
          b.setAttribute("data-seek", s.startTime);
          b.setAttribute("aria-label", "Écouter à partir de " + fmt(s.startTime));
          tm.textContent = fmt(s.startTime);
          b.appendChild(tm);
          li.appendChild(b);
          li.appendChild(document.createTextNode(" "));
          if (s.speaker && s.speaker !== prev) {
            var c = document.createElement("cite");
            c.textContent = s.speaker;
            li.appendChild(c);
            li.appendChild(document.createTextNode(" "));
          }
          prev = s.speaker;
          var span = document.createElement("span");
          span.textContent = s.body;
          li.appendChild(span);
          ol.appendChild(li);
        });
        d.setAttribute("data-ready", "1");
      }).catch(function () { ol.textContent = "Transcription indisponible."; });
    });
  });

  // follow playback: mark the current chapter and cue, keep the cue in view unless the reader is busy
  document.querySelectorAll("audio").forEach(function (a) {
    var box = a.closest("[data-player]");
    if (!box) return;
    function mark(selector) {
      var items = box.querySelectorAll(selector), t = a.currentTime, cur = null;
      items.forEach(function (li) {
        if (parseFloat(li.querySelector("[data-seek]").getAttribute("data-seek")) <= t + 0.05) cur = li;
      });
      items.forEach(function (li) {
        if (li === cur) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
      });
      return cur;
    }
    a.addEventListener("timeupdate", function () {
      mark(".chapters li");
      var cue = mark(".cues li");
      var ol = cue && cue.parentNode, input = box.querySelector("[data-transcript-search]");
      if (!cue || cue.hidden || (input && input.value) || ol.matches(":hover") || ol.contains(document.activeElement)) return;
      var top = cue.offsetTop - ol.offsetTop;
      if (top < ol.scrollTop || top + cue.offsetHeight > ol.scrollTop + ol.clientHeight) ol.scrollTop = top - 8;
    });
  });
})();
