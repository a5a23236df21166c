// artoiscast embed (loaded in the embed's <head>): sets its colours from ?theme= before the first
// paint, shows the first ?n= episodes, and tells the page that frames it its height, whenever it
// changes, as a message {type: "artoiscast:height", height, id} (height in CSS px, id the embed's
// address: path and query). The snippet's script sets the iframe's height from it. No request,
// no cookie, no storage.
(function () {
  "use strict";
  var root = document.documentElement, query = new URLSearchParams(location.search);
  var theme = query.get("theme");
  root.setAttribute("data-embed-theme", theme === "light" || theme === "dark" ? theme : "auto");

  var id = location.pathname + location.search, told = -1;
  function tell() {
    var height = Math.ceil(root.getBoundingClientRect().height);  // the content's, not the iframe's
    if (height === told || window.parent === window) return;
    told = height;
    window.parent.postMessage({type: "artoiscast:height", height: height, id: id}, "*");
  }

  function ready() {
    var list = document.querySelector("[data-embed-list]");
    if (list) {
      var n = parseInt(query.get("n") || "5", 10);
      if (!(n > 0)) n = 5;
      Array.prototype.forEach.call(list.children, function (li, i) { li.hidden = i >= n; });
    }
    tell();
    if (window.ResizeObserver) {
      var watch = new ResizeObserver(tell);
      watch.observe(root);
      watch.observe(document.body);
    }
    window.addEventListener("resize", tell);
    window.addEventListener("load", tell);
    document.addEventListener("toggle", tell, true);  // details opened or closed
    document.addEventListener("load", tell, true);  // an image
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(tell);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
