// artoiscast pages: copy a feed's or an episode's address, open #subscribe, and search the episodes (the
// static index search/index.json, fetched from the show itself). No request leaves the show.
(function () {
  "use strict";

  // copy: navigator.clipboard when the page may use it, else the text is selected in its
  // read-only field (and execCommand tried) so that the listener copies it by hand
  function copy(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = button.closest(".copy").querySelector(".copied");
    function selected(ok) {
      input.focus();
      input.select();
      input.setSelectionRange(0, input.value.length);
      if (!ok) { try { ok = document.execCommand("copy"); } catch (e) { ok = false; } }
      status.textContent = ok ? "Adresse copiée." : "Adresse sélectionnée\u00a0: copiez-la (Ctrl+C ou appui long).";
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () {
        input.select();
        status.textContent = "Adresse copiée.";
      }, function () { selected(false); });
    } else {
      selected(false);
    }
  }
  document.querySelectorAll("[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () { copy(b); });
  });

  // one tap to subscribe: on Android (AntennaPod's https deeplink page, which hands over to the
  // app when it is installed) and on Apple devices (Apple Podcasts, when the show gives its Apple
  // ID), the app's link is shown beside the panel, which becomes "Autres applications". The
  // platform is read from the user agent, in the page only: nothing is stored or sent.
  var ua = navigator.userAgent || "";
  var app = /Android/i.test(ua) ? "AntennaPod" : (/iPhone|iPad|iPod|Macintosh/i.test(ua) ? "Apple Podcasts" : null);
  document.querySelectorAll("details.subscribe").forEach(function (d) {
    var link = app && d.querySelector('a[data-app="' + app + '"]');
    if (!link) return;
    var one = link.cloneNode(true);
    one.className = "button primary one-tap";
    one.removeAttribute("data-app");
    one.textContent = "S\u2019abonner dans " + app;
    d.parentNode.insertBefore(one, d);
    var summary = d.querySelector("summary");
    summary.textContent = "Autres applications";
    summary.classList.remove("primary");
  });

  // #subscribe (the embeds' subscribe button links the theme page there): the panel opens
  function openTarget() {
    var target = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
    if (target && target.tagName === "DETAILS") target.open = true;
  }
  openTarget();
  window.addEventListener("hashchange", openTarget);

  // search: accent- and case-insensitive, every word of the query must be found in the episode
  var form = document.querySelector("[data-site-search]");
  if (!form) return;
  var input = form.querySelector("input[type=search]");
  var list = document.querySelector(".results");
  var status = document.getElementById("results-status");
  var base = list.getAttribute("data-base");
  var index = null;

  function fold(s) {
    return s.toLowerCase().replace(/œ/g, "oe").replace(/æ/g, "ae").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").replace(/[’']/g, " ");
  }
  function words(q) { return fold(q).split(/[^a-z0-9]+/).filter(function (w) { return w.length > 0; }); }
  function hasAll(text, ws) {
    for (var i = 0; i < ws.length; i++) if (text.indexOf(ws[i]) < 0) return false;
    return true;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function mmss(t) {
    var s = Math.floor(t), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }
  function prepare(data) {
    data.episodes.forEach(function (e) {
      e.meta = fold([e.t, e.g.join(" "), e.p, e.th.join(" "), e.s].join(" \u0001 "));
      e.fc = e.c.map(function (c) { return fold(c[1]); });
      e.all = e.meta + " " + e.fc.join(" ");
    });
    return data.episodes;
  }
  function search(q) {
    var ws = words(q), found = [];
    if (!ws.length) return found;
    index.forEach(function (e) {
      if (!hasAll(e.all, ws)) return;
      var score = 0, cue = -1, ft = fold(e.t), fg = fold(e.g.join(" ") + " " + e.p);
      ws.forEach(function (w) {
        if (ft.indexOf(w) >= 0) score += 8;
        else if (fg.indexOf(w) >= 0) score += 5;
        else if (e.meta.indexOf(w) >= 0) score += 2;
      });
      if (!hasAll(e.meta, ws)) {  // found in the transcript: the first cue holding every word, else the first word
        for (var i = 0; i < e.fc.length && cue < 0; i++) if (hasAll(e.fc[i], ws)) cue = i;
        for (var j = 0; j < e.fc.length && cue < 0; j++) if (e.fc[j].indexOf(ws[0]) >= 0) cue = j;
      }
      found.push({e: e, score: score, cue: cue});
    });
    found.sort(function (a, b) { return b.score - a.score || (a.e.dt < b.e.dt ? 1 : a.e.dt > b.e.dt ? -1 : 0); });
    return found;
  }
  function show(q) {
    var found = search(q);
    list.textContent = "";
    found.slice(0, 50).forEach(function (f) {
      var e = f.e, li = el("li"), art = el("article", "item");
      var img = el("img", "art");
      img.src = base + e.i; img.alt = ""; img.width = 72; img.height = 72; img.loading = "lazy";
      var body = el("div", "body"), h = el("h2"), a = el("a", null, e.t);
      a.href = base + e.u + (f.cue >= 0 && e.c[f.cue][0] > 0 ? "#t=" + e.c[f.cue][0] : f.cue >= 0 ? "#tr" : "");
      h.appendChild(a);
      body.appendChild(h);
      body.appendChild(el("p", "meta", e.d + " · " + e.m + (e.p ? " · " + e.p : "")));
      if (e.g.length) body.appendChild(el("p", "guests", "Avec " + e.g.join(", ")));
      if (f.cue >= 0) {
        var hit = el("p", "hit");
        hit.appendChild(el("span", null, "À " + mmss(e.c[f.cue][0]) + "\u00a0: «\u202f"));
        hit.appendChild(el("mark", null, e.c[f.cue][1]));
        hit.appendChild(el("span", null, "\u202f»"));
        body.appendChild(hit);
      }
      art.appendChild(img); art.appendChild(body); li.appendChild(art); list.appendChild(li);
    });
    status.textContent = !words(q).length ? "" : found.length === 0 ? "Aucun épisode trouvé pour «\u202f" + q + "\u202f»."
      : found.length === 1 ? "1 épisode trouvé." : found.length + " épisodes trouvés.";
  }
  function run() {
    var q = input.value.trim();
    if (index) { show(q); return; }
    status.textContent = "Chargement de l’index…";
    fetch(form.getAttribute("data-site-search")).then(function (r) { return r.json(); }).then(function (data) {
      index = prepare(data);
      show(input.value.trim());
    }, function () { status.textContent = "L’index de recherche n’a pas pu être chargé."; });
  }
  var timer = null;
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 150); });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    history.replaceState(null, "", "?q=" + encodeURIComponent(input.value.trim()));
    run();
  });
  var q0 = new URLSearchParams(location.search).get("q");
  if (q0) { input.value = q0; run(); }
})();
