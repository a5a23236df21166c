// artoiscast player: our controls over a hidden native <audio> (play/pause, -15 s / +30 s, speed,
// a timeline with chapter marks, share at the current time, #t= links, Media Session, keyboard
// shortcuts), one playing at a time, a sticky mini-player on the pages (list items' play buttons,
// and the episode's player when it scrolls out of view). Chapters and transcript cues seek the
// nearest player; the transcript follows playback and can be searched; the embed shows ?n=
// episodes and loads a transcript (JSON, same origin as this file) only when its toggle is opened.
// No request leaves the show, nothing is stored (no cookie, no storage).
(function () {
  "use strict";
  var SPEEDS = [1, 1.25, 1.5, 1.75, 2, 0.75];
  var BACK = 15, FWD = 30, STEP = 5, PAGE = 60;

  function boxOf(el) { return el.closest("[data-player]") || document; }
  function fmt(t) {  // floored, as players show it: 115.9 s is 1:55
    var s = Math.max(0, Math.floor(t || 0)), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }
  function spoken(t) {  // "1 min 05 s", "1 h 02 min 05 s", "45 s"
    var s = Math.max(0, Math.floor(t || 0)), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    var rr = (r < 10 && (m || h) ? "0" : "") + r + " s";
    if (h) return h + " h " + (m < 10 ? "0" : "") + m + " min " + rr;
    return m ? m + " min " + rr : rr;
  }
  function speedText(r) { return String(r).replace(".", ",") + "×"; }
  function start(a) { pauseOthers(a); var p = a.play(); if (p && p.catch) p.catch(function () {}); }

  // embed: the partner page's origin (only its origin, from document.referrer: no cookie, no
  // storage) goes into each audio URL as embed=, so the show's access log tells a partner's plays
  // from the feed's; "-" when there is no referrer (opened directly, a no-referrer policy) or it
  // is the show's own origin. Set before any audio request: the embeds' players are preload="none".
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

  // ---- the control sets: each full player ([data-pl]) and the mini-player ([data-mini]) ----
  var uis = [], current = null, last = null, shared = null;
  var starts = typeof WeakMap === "function" ? new WeakMap() : null;  // audio -> a time to start at

  function q(root, sel) { return root.querySelector(sel); }
  function parseArt(text) { try { return JSON.parse(text || "[]") || []; } catch (e) { return []; } }
  function makeUI(root, audio, mini) {
    var ui = {
      root: root, audio: audio, mini: mini, embed: !!(audio && audio.hasAttribute("data-embed")), out: false,
      dur: parseFloat(root.getAttribute("data-duration")) || 0, title: root.getAttribute("data-title") || "",
      show: root.getAttribute("data-show") || "", album: root.getAttribute("data-album") || "",
      page: root.getAttribute("data-page") || "", art: parseArt(root.getAttribute("data-art")), img: "",
      chapters: Array.prototype.map.call(root.querySelectorAll(".pl-chapters li"), function (li) {
        return {start: parseFloat(li.getAttribute("data-start")) || 0, title: li.textContent};
      }),
      play: q(root, ".pl-play"), cur: q(root, ".pl-cur"), durEl: q(root, ".pl-dur"), seek: q(root, ".pl-seek"),
      speed: q(root, ".pl-speed"), status: q(root, ".pl-status"), chapN: q(root, ".pl-chapter-n"),
      chapTitle: q(root, ".pl-chapter-title"), resume: q(root, ".pl-resume"), fill: q(root, ".mini-fill"),
      second: -1, chapter: -2, timer: 0
    };
    root.plUI = ui;
    uis.push(ui);
    return ui;
  }
  function uiOf(el) { var r = el && el.closest && el.closest("[data-pl], [data-mini]"); return r ? r.plUI : null; }
  function durOf(ui) {  // the catalog's duration, unless the file says otherwise by more than a second
    var d = ui.audio ? ui.audio.duration : NaN;
    if (ui.dur > 0 && !(isFinite(d) && Math.abs(d - ui.dur) > 1.5)) return ui.dur;
    return isFinite(d) ? d : 0;
  }
  function pendingStart(a) { return starts && starts.has(a) ? starts.get(a) : null; }
  function timeOf(a) { var s = pendingStart(a); return s !== null ? s : a.currentTime; }
  function seekTo(ui, t) {
    var a = ui.audio;
    if (!a) return;
    var d = durOf(ui);
    t = Math.max(0, d ? Math.min(t, d) : t);
    if (a.readyState < 1 && starts) starts.set(a, t);  // no metadata yet (preload="none"): when it comes
    else a.currentTime = t;
    refreshAll(a);
  }
  function chapterAt(ui, t) {
    var i = -1;
    ui.chapters.forEach(function (c, k) { if (c.start <= t + 0.05) i = k; });
    return i;
  }

  function refresh(ui) {
    var a = ui.audio, root = ui.root;
    if (!a) return;
    var d = durOf(ui), t = a.ended && d ? d : timeOf(a), playing = !a.paused && !a.ended;  // ended: at its end
    root.classList.toggle("is-playing", playing);
    if (ui.play) ui.play.setAttribute("aria-label", (playing ? "Mettre en pause" : "Lire") + (ui.title ? " : " + ui.title : ""));
    if (ui.cur) ui.cur.textContent = fmt(t);
    if (ui.durEl) ui.durEl.textContent = fmt(d);
    var pct = d ? Math.min(100, 100 * t / d) : 0;
    if (ui.seek) {
      if (!ui.held) ui.seek.value = String(t);
      if (String(ui.seek.max) !== String(Math.floor(d))) ui.seek.max = String(Math.floor(d));
      if (Math.floor(t) !== ui.second) {
        ui.second = Math.floor(t);
        ui.seek.setAttribute("aria-valuetext", spoken(t) + " sur " + spoken(d));
      }
      ui.seek.parentNode.style.setProperty("--pl-f", (pct / 100).toFixed(4));
    }
    if (ui.fill) ui.fill.style.width = pct.toFixed(2) + "%";
    if (ui.speed) {
      ui.speed.textContent = speedText(a.playbackRate);
      ui.speed.setAttribute("aria-label", "Vitesse de lecture : " + speedText(a.playbackRate));
    }
    if (ui.chapTitle && ui.chapters.length) {
      var i = Math.max(0, chapterAt(ui, t));
      if (i !== ui.chapter) {
        ui.chapter = i;
        ui.chapN.textContent = (i + 1) + "/" + ui.chapters.length;
        ui.chapTitle.textContent = ui.chapters[i].title;
      }
    }
  }
  function refreshAll(a) {
    uis.forEach(function (ui) { if (ui.audio === a) refresh(ui); });
    items();
  }
  function say(ui, text) {  // the status line: only after a listener's action, never every second
    if (!ui.status) return;
    ui.status.textContent = text;
    clearTimeout(ui.timer);
    ui.timer = setTimeout(function () { ui.status.textContent = ""; }, 6000);
  }
  function sayTime(ui) { say(ui, spoken(timeOf(ui.audio)) + " sur " + spoken(durOf(ui))); }

  // ---- share: the episode page's URL at the current second ----
  function copied(ui, t) { say(ui, "Lien copié (à " + fmt(t) + ")"); }
  function copyByHand(ui, url, t) {
    var ta = document.createElement("textarea"), ok = false;
    ta.value = url;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    ta.remove();
    if (ok) copied(ui, t); else say(ui, "Copiez ce lien : " + url);
  }
  function share(ui) {
    var t = Math.floor(timeOf(ui.audio)), url = ui.page + "#t=" + t;
    if (navigator.share) {
      navigator.share({title: ui.title, url: url}).catch(function (e) {
        if (!e || e.name !== "AbortError") copyByHand(ui, url, t);
      });
    } else if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(url).then(function () { copied(ui, t); }, function () { copyByHand(ui, url, t); });
    } else copyByHand(ui, url, t);
  }

  // ---- the actions, by a control's data-act, a key or the Media Session ----
  function run(ui, act, detail) {
    var a = ui.audio;
    if (!a) return;
    current = ui.mini ? current || ui : ui;
    var t = timeOf(a), i;
    if (act === "toggle" || act === "resume") {
      if (a.paused || a.ended) start(a); else a.pause();
    } else if (act === "play") start(a);
    else if (act === "pause") a.pause();
    else if (act === "back") { seekTo(ui, t - ((detail && detail.seekOffset) || BACK)); sayTime(ui); }
    else if (act === "fwd") { seekTo(ui, t + ((detail && detail.seekOffset) || FWD)); sayTime(ui); }
    else if (act === "seekto" && detail) seekTo(ui, detail.seekTime);
    else if (act === "speed") {
      var r = SPEEDS[(SPEEDS.indexOf(a.playbackRate) + 1) % SPEEDS.length];
      a.playbackRate = r;
      a.defaultPlaybackRate = r;
      refreshAll(a);
      say(ui, "Vitesse de lecture : " + speedText(r));
    } else if (act === "share") share(ui);
    else if (act === "prev" || act === "next") {
      var chs = ui.chapters;
      if (!chs.length) return;
      i = chapterAt(ui, t);
      if (act === "next") i = Math.min(i + 1, chs.length - 1);
      else if (i > 0 && t - chs[i].start < 3) i -= 1;  // at a chapter's start: the one before
      i = Math.max(0, i);
      seekTo(ui, chs[i].start);
      say(ui, "Chapitre " + (i + 1) + " : " + chs[i].title);
      if (a.paused) start(a);
    } else if (act === "close") {
      a.pause();
      last = null;
      minify();
    }
  }

  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-act]"), ui = b && uiOf(b);
    if (ui) { run(ui, b.getAttribute("data-act")); return; }
    var item = ev.target.closest("[data-play-src]");
    if (item) { playItem(item); return; }
    // a chapter, a cue's time button or a cue's text: seek and play
    b = ev.target.closest("[data-seek]");
    if (!b || (b.tagName !== "BUTTON" && String(window.getSelection()))) return;  // a text selection is not a click
    var box = boxOf(b), a = box.querySelector("audio");
    if (!a) return;
    ui = uiOf(a);
    if (ui) { seekTo(ui, parseFloat(b.getAttribute("data-seek"))); current = ui; }
    else a.currentTime = parseFloat(b.getAttribute("data-seek"));
    start(a);
  });

  // keyboard: space or k play/pause, j or left -15 s, l or right +30 s (never in a text field);
  // on the timeline: arrows 5 s, Page up/down 1 min, Home/End
  document.addEventListener("keydown", function (ev) {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var el = ev.target, k = ev.key, ui = uiOf(el);
    if (el.matches && el.matches(".pl-seek") && ui) {
      var t = timeOf(ui.audio), d = durOf(ui), to = null;
      if (k === "ArrowLeft" || k === "ArrowDown") to = t - STEP;
      else if (k === "ArrowRight" || k === "ArrowUp") to = t + STEP;
      else if (k === "PageDown") to = t - PAGE;
      else if (k === "PageUp") to = t + PAGE;
      else if (k === "Home") to = 0;
      else if (k === "End") to = d;
      if (to === null) return;
      ev.preventDefault();
      seekTo(ui, to);
      sayTime(ui);
      return;
    }
    if (el.closest && el.closest("input:not(.pl-seek), textarea, select, [contenteditable]")) return;
    ui = ui || current || uis.filter(function (u) { return !u.mini; })[0] || (shared && miniUI);
    if (!ui || !ui.audio) return;
    if (k === " " || k === "Spacebar") {
      if (el.closest("button, a, summary, audio")) return;  // they take space themselves
      run(ui, "toggle");
    } else if (k === "k" || k === "K") run(ui, "toggle");
    else if (k === "j" || k === "J" || k === "ArrowLeft") run(ui, "back");
    else if (k === "l" || k === "L" || k === "ArrowRight") run(ui, "fwd");
    else return;
    ev.preventDefault();
  });

  // ---- one playing at a time: in this document, and in the other embeds of the page (same origin) ----
  var me = String(Math.random()), channel = null;
  function pauseOthers(a) {
    document.querySelectorAll("audio").forEach(function (o) { if (o !== a && !o.paused) o.pause(); });
  }
  try {
    channel = new BroadcastChannel("artoiscast-player");
    channel.onmessage = function (ev) { if (ev.data && ev.data.playing && ev.data.from !== me) pauseOthers(null); };
  } catch (e) { channel = null; }

  // ---- Media Session (lock screen, headset keys): the last player started ----
  var ms = navigator.mediaSession, sessionUI = null;
  function sessionAct(act) { return function (d) { if (sessionUI) run(sessionUI, act, d); }; }
  function handle(action, fn) { try { ms.setActionHandler(action, fn); } catch (e) { /* not supported */ } }
  function session(ui, a, type) {
    if (!ms) return;
    if (type === "play" && sessionUI !== ui) {
      sessionUI = ui;
      try {
        ms.metadata = new MediaMetadata({title: ui.title, artist: ui.show, album: ui.album || ui.show, artwork: ui.art});
      } catch (e) { /* no MediaMetadata */ }
      var chapters = ui.chapters.length > 1;
      handle("previoustrack", chapters ? sessionAct("prev") : null);
      handle("nexttrack", chapters ? sessionAct("next") : null);
    }
    if (sessionUI !== ui) return;
    ms.playbackState = a.paused ? "paused" : "playing";
    var d = durOf(ui);
    if (d && ms.setPositionState && type !== "timeupdate") {
      try { ms.setPositionState({duration: d, playbackRate: a.playbackRate, position: Math.min(a.currentTime, d)}); } catch (e) { /* */ }
    }
  }
  if (ms) {
    ["play", "pause", "seekbackward", "seekforward", "seekto"].forEach(function (action) {
      handle(action, sessionAct({play: "play", pause: "pause", seekbackward: "back", seekforward: "fwd", seekto: "seekto"}[action]));
    });
  }

  // ---- the mini-player (pages only): list items, and the episode's player once out of view ----
  var mini = document.querySelector("[data-mini]"), miniUI = mini ? makeUI(mini, null, true) : null;
  function bindMini(src) {  // src: the UI whose audio and metadata the mini-player shows
    if (!miniUI) return;
    ["audio", "dur", "title", "show", "album", "page", "art", "chapters", "img"].forEach(function (k) { miniUI[k] = src[k]; });
    miniUI.second = -1;
    var link = q(mini, ".mini-title"), img = q(mini, ".mini-art");
    link.textContent = src.title;
    link.href = src.page;
    var sized = src.art.filter(function (x) { return x.sizes && parseInt(x.sizes, 10) >= 88; })[0];
    var pic = sized ? sized.src : src.img;
    if (pic) { if (img.getAttribute("src") !== pic) img.src = pic; img.hidden = false; } else img.hidden = true;
    refresh(miniUI);
  }
  function minify() {  // show or hide the mini-player for what was played last
    if (!mini) return;
    var on = false;
    if (last && last === itemUI) on = true;
    else if (last && last.out) on = true;
    if (on && miniUI.audio !== last.audio) bindMini(last);
    mini.hidden = !on;
    document.body.classList.toggle("has-mini", on);
  }
  var itemUI = null;  // the list items' shared audio and the metadata of the one loaded
  function playItem(btn) {
    if (!mini) return;
    if (!shared) {
      shared = document.createElement("audio");
      shared.preload = "none";
      shared.hidden = true;
      mini.appendChild(shared);
      itemUI = {audio: shared, mini: false, dur: 0, title: "", show: miniUI.show, album: miniUI.album, page: "",
                art: [], chapters: [], img: "", out: true};
    }
    var src = new URL(btn.getAttribute("data-play-src"), location.href).href;
    if (shared.getAttribute("src") && shared.src === src) { run(itemUI, "toggle"); return; }
    var holder = btn.closest("li, article"), pic = holder && holder.querySelector("img");
    itemUI.dur = parseFloat(btn.getAttribute("data-duration")) || 0;
    itemUI.title = btn.getAttribute("data-title") || "";
    itemUI.page = btn.getAttribute("data-page") || "";
    itemUI.img = pic ? pic.currentSrc || pic.src : "";
    var cover = btn.getAttribute("data-cover");
    itemUI.art = (itemUI.img ? [{src: itemUI.img}] : []).concat(cover ? [{src: cover}] : []).concat(miniUI.art);
    shared.src = src;
    last = itemUI;
    sessionUI = null;
    bindMini(itemUI);
    minify();
    start(shared);
  }
  function items() {  // the list items' buttons say whether theirs is playing
    if (!shared) return;
    document.querySelectorAll("[data-play-src]").forEach(function (b) {
      var on = !shared.paused && shared.src === new URL(b.getAttribute("data-play-src"), location.href).href;
      b.classList.toggle("is-playing", on);
      var dur = b.querySelector(".pl-item-dur");  // the name holds the text shown
      b.setAttribute("aria-label", (on ? "Mettre en pause : " : "Lire : ") + b.getAttribute("data-title") +
                     (dur ? ", durée " + dur.textContent : ""));
    });
  }

  // ---- media events, caught once for every audio of the document ----
  ["play", "pause", "timeupdate", "durationchange", "loadedmetadata", "seeked", "ratechange", "ended"].forEach(function (type) {
    document.addEventListener(type, function (ev) {
      var a = ev.target;
      if (!a || a.tagName !== "AUDIO") return;
      var s = pendingStart(a);
      if (type === "loadedmetadata" && s !== null) { starts.delete(a); a.currentTime = s; }
      var own = uis.filter(function (u) { return u.audio === a && !u.mini; })[0] || (a === shared ? itemUI : null);
      if (type === "play") {
        pauseOthers(a);
        if (channel) channel.postMessage({playing: true, from: me});
        if (own) {
          if (!own.mini && own !== itemUI) current = own;
          last = own;
          if (own.resume) own.resume.parentNode.hidden = true;
          minify();
        }
      }
      refreshAll(a);
      if (own) session(own, a, type);
    }, true);
  });

  // ---- the full players: ours shown, the native one hidden (it stays for pages without JavaScript) ----
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { var ui = e.target.plUI; if (ui) { ui.out = !e.isIntersecting; if (ui === last) minify(); } });
  }) : null;
  document.querySelectorAll("[data-pl]").forEach(function (root) {
    var a = root.querySelector("audio"), ui = makeUI(root, a, false), pic = root.closest("[data-player]");
    pic = pic && pic.querySelector("img");
    ui.img = pic ? pic.currentSrc || pic.src : "";
    a.controls = false;
    a.hidden = true;
    q(root, ".pl-ui").hidden = false;
    if (observer && !ui.embed) observer.observe(root);
    refresh(ui);
  });
  document.querySelectorAll("[data-play-src]").forEach(function (b) { if (mini) b.hidden = false; });

  // ---- #t=90, #t=1:30, #t=1m30s: the first player starts there (on the listener's first play) ----
  function hashTime(hash) {
    var m = /(?:^#|&)t=([0-9:.hms]+)/.exec(hash || ""), v = m && m[1], p;
    if (!v) return null;
    if (/^\d+(\.\d+)?$/.test(v)) return parseFloat(v);
    if (/^\d+(:\d{1,2}){1,2}(\.\d+)?$/.test(v)) return v.split(":").reduce(function (acc, x) { return acc * 60 + parseFloat(x); }, 0);
    p = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(v);
    return p ? (parseInt(p[1] || "0", 10) * 3600 + parseInt(p[2] || "0", 10) * 60 + parseFloat(p[3] || "0")) : null;
  }
  var first = uis.filter(function (u) { return !u.mini; })[0], at = hashTime(location.hash);
  if (first && at !== null && at > 0) {
    seekTo(first, at);
    current = first;
    if (first.resume) {
      first.resume.textContent = "Reprendre à " + fmt(timeOf(first.audio));
      first.resume.parentNode.hidden = false;
    }
  }
  window.addEventListener("hashchange", function () {  // a #t= link of the page (the notes) was followed
    var t = hashTime(location.hash);
    if (first && t !== null) { seekTo(first, t); current = first; start(first.audio); }
  });

  // search: hide the cues that do not contain the words typed
  document.addEventListener("input", function (ev) {
    var input = ev.target;
    if (input.matches && input.matches(".pl-seek")) {  // the timeline, dragged or clicked
      var ui = uiOf(input);
      if (ui) { ui.held = true; seekTo(ui, parseFloat(input.value)); ui.held = !!ui.pointer; }
      return;
    }
    if (!input.matches || !input.matches("[data-transcript-search]")) return;
    var scope = input.closest(".transcript"), qy = input.value.trim().toLowerCase(), shown = 0;
    var lis = scope.querySelectorAll(".cues li");
    lis.forEach(function (li) {
      var hit = !qy || li.textContent.toLowerCase().indexOf(qy) >= 0;
      li.hidden = !hit;
      if (hit) shown++;
    });
    var found = scope.querySelector(".found");
    if (found) found.textContent = qy ? (shown ? shown + (shown > 1 ? " passages trouvés" : " passage trouvé") : "Aucun passage trouvé") : "";
  });
  document.addEventListener("pointerdown", function (ev) {
    var ui = ev.target.matches && ev.target.matches(".pl-seek") ? uiOf(ev.target) : null;
    if (ui) { current = ui; ui.pointer = ui.held = true; }
  });
  ["pointerup", "pointercancel"].forEach(function (type) {
    document.addEventListener(type, function () { uis.forEach(function (u) { u.pointer = u.held = false; }); });
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
  document.querySelectorAll("[data-player] audio").forEach(function (a) {
    var box = a.closest("[data-player]");
    function mark(selector) {
      var lis = box.querySelectorAll(selector), t = a.currentTime, cur = null;
      lis.forEach(function (li) {
        if (parseFloat(li.querySelector("[data-seek]").getAttribute("data-seek")) <= t + 0.05) cur = li;
      });
      lis.forEach(function (li) {
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
