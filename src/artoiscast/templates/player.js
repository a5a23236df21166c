// Chapters and transcript cues seek the nearest player; the transcript follows playback and can be searched.
(function () {
  "use strict";
  function playerOf(el) {
    var box = el.closest("[data-player]") || document;
    return box.querySelector("audio");
  }
  var list = document.querySelector("[data-embed-list]");
  if (list) {
    var n = parseInt(new URLSearchParams(location.search).get("n") || "5", 10);
    if (!(n > 0)) n = 5;
    Array.prototype.forEach.call(list.children, function (li, i) { li.hidden = i >= n; });
  }
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-seek]");
    if (!b) return;
    var a = playerOf(b);
    if (!a) return;
    a.currentTime = parseFloat(b.getAttribute("data-seek"));
    var p = a.play();
    if (p && p.catch) p.catch(function () {});
  });
  document.querySelectorAll("[data-transcript-search]").forEach(function (input) {
    var items = input.closest("section").querySelectorAll(".cues li");
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      items.forEach(function (li) { li.hidden = q && li.textContent.toLowerCase().indexOf(q) < 0; });
    });
  });
  document.querySelectorAll("audio").forEach(function (a) {
    var box = a.closest("[data-player]");
    if (!box) return;
    var cues = Array.prototype.slice.call(box.querySelectorAll(".cues li"));
    if (!cues.length) return;
    var starts = cues.map(function (li) { return parseFloat(li.querySelector("[data-seek]").getAttribute("data-seek")); });
    a.addEventListener("timeupdate", function () {
      var t = a.currentTime, i = starts.length - 1;
      while (i > 0 && starts[i] > t) i--;
      cues.forEach(function (li, j) { li.classList.toggle("current", j === i); });
    });
  });
})();
