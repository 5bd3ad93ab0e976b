/* TermiKnowledge search box: typo-tolerant search over names and aliases, then definitions.
 * MiniSearch and the prebuilt index (search-index.json) load on the first focus of the box,
 * so pages stay light. Keys: arrows move through the results, Enter opens one, Escape closes. */
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form || !window.fetch || !String.prototype.normalize) return;
  var root = form.getAttribute("data-root") || "./";
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var NAME_HITS = 8;
  var DEFINITION_HITS = 4;
  var engine = null;
  var loading = null;
  var data = null;
  var stop = new Set();
  var shown = [];
  var active = -1;

  // The same folding as the bot's `fold`: accents, case, "&" as "and", punctuation as spaces.
  function fold(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase()
      .replace(/&/g, " and ").replace(/['\u2019]/g, "")
      .replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  }
  // Filler the bot also ignores: "what is the kanban" searches for "kanban".
  var FILLER = /^(?:(?:what is|what are|whats|what|define|definition of|meaning of|explain) )?(?:(?:the|a|an) )?/;
  function clean(query) {
    var folded = fold(query);
    return folded.replace(FILLER, "") || folded;
  }
  function words(text) {
    var folded = fold(text);
    return folded ? folded.split(" ") : [];
  }
  // "s&op", "s and op" and "sop" meet, as in the bot's `compact`.
  function squeeze(text) {
    return words(text).filter(function (w) { return w !== "and"; }).join("");
  }
  // Queries of four letters or fewer never match fuzzily, as in the bot.
  function fuzziness(term) { return term.length >= 5 ? 0.2 : false; }
  function allowedEdits(term) { return term.length >= 8 ? 2 : term.length >= 5 ? 1 : 0; }

  // Optimal string alignment distance, giving up once it exceeds `limit`.
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var rows = [];
    for (var i = 0; i <= a.length; i++) {
      rows.push([i]);
      for (var j = 1; j <= b.length; j++) {
        if (i === 0) { rows[0].push(j); continue; }
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          best = Math.min(best, rows[i - 2][j - 2] + 1);
        }
        rows[i].push(best);
      }
      if (Math.min.apply(null, rows[i]) > limit) return limit + 1;
    }
    return rows[a.length][b.length];
  }

  // Whether a query word answers a name word: equal, a typo away, or (while typing) its start.
  function answers(q, w) {
    if (w === q || (q.length >= 2 && w.indexOf(q) === 0)) return true;
    var edits = allowedEdits(q);
    if (!edits) return false;
    return distance(q, w, edits) <= edits || (w.length > q.length && distance(q, w.slice(0, q.length), 1) <= 1);
  }

  // How well one name or alias fits: the share of query words it answers, then of its words answered.
  function fit(queryWords, text) {
    var nameWords = words(text).filter(function (w) { return !stop.has(w); });
    if (!queryWords.length || !nameWords.length) return 0;
    var used = new Set();
    var hits = 0;
    queryWords.forEach(function (q) {
      var found = false;
      nameWords.forEach(function (w, i) {
        if (answers(q, w)) { found = true; used.add(i); }
      });
      if (found) hits += 1;
    });
    var cover = hits / queryWords.length;
    return 100 * cover * cover + 30 * (used.size / nameWords.length);
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  function load() {
    if (!loading) {
      say("Loading the search index…");
      loading = Promise.all([
        loadScript(root + "static/vendor/minisearch-7.2.0.js"),
        fetch(root + "search-index.json").then(function (r) {
          if (!r.ok) throw new Error("search index: HTTP " + r.status);
          return r.json();
        })
      ]).then(function (results) {
        index(results[1]);
        say("");
      }).catch(function (error) {
        loading = null;
        say("Search is unavailable: " + error.message);
      });
    }
    return loading;
  }

  function index(json) {
    data = json;
    stop = new Set(json.stopwords);
    engine = new window.MiniSearch({
      fields: ["n", "a", "k", "w"],
      tokenize: function (text, field) { return field === "k" ? text.split(" ") : words(text); },
      processTerm: function (term, field) {
        if (field === "k") return term;
        return stop.has(term) ? null : term;
      }
    });
    engine.addAll(json.terms.map(function (row, id) {
      return { id: id, n: row[0], a: row[1], k: row[2], w: row[3] };
    }));
  }

  function search(query) {
    query = clean(query);
    var folded = fold(query);
    var queryWords = words(query).filter(function (w) { return !stop.has(w); });
    var squeezed = squeeze(query);
    var queries = [];
    if (queryWords.length) {
      queries.push({
        queries: [queryWords.join(" ")], fields: ["n", "a"], boost: { n: 2, a: 1.5 },
        prefix: function (term) { return term.length >= 2; }, fuzzy: fuzziness
      });
      queries.push({
        queries: [queryWords.join(" ")], fields: ["w"], combineWith: "AND",
        prefix: function (term, i, terms) { return i === terms.length - 1 && term.length >= 3; }, fuzzy: fuzziness
      });
    }
    if (squeezed.length >= 2) {
      queries.push({ queries: [squeezed], fields: ["k"], prefix: squeezed.length >= 3, fuzzy: fuzziness });
    }
    if (!queries.length) return [];
    var names = [];
    var mentions = [];
    engine.search({ combineWith: "OR", queries: queries }).forEach(function (result) {
      var row = data.terms[result.id];
      var fields = Object.keys(result.match).reduce(function (all, term) {
        return all.concat(result.match[term]);
      }, []);
      var texts = [row[0]].concat(row[1] ? row[1].split(" | ") : []);
      var exact = texts.some(function (t) { return fold(t) === folded || squeeze(t) === squeezed; });
      var best = Math.max.apply(null, texts.map(function (t) { return fit(queryWords, t); }));
      var hit = { id: result.id, via: "", score: result.score, fit: best };
      if (exact) {
        hit.score += 10000;
        if (fold(row[0]) !== folded && squeeze(row[0]) !== squeezed) hit.via = viaAlias(texts, folded, squeezed);
        names.push(hit);
      } else if (fields.indexOf("n") >= 0 || fields.indexOf("a") >= 0 || fields.indexOf("k") >= 0) {
        hit.score += best;
        names.push(hit);
      } else {
        hit.via = "definition";
        mentions.push(hit);
      }
    });
    var byScore = function (x, y) {
      return y.score - x.score || data.terms[x.id][0].length - data.terms[y.id][0].length || x.id - y.id;
    };
    // Names: exact first, then how well the name covers the query; among equally good names the
    // core term (earlier in the syllabus: module order, core vocabulary first) before the specialised one.
    var byFit = function (x, y) {
      var exactFirst = (y.score >= 10000) - (x.score >= 10000);
      return exactFirst || (x.score >= 10000 ? byScore(x, y) : y.fit - x.fit || x.id - y.id);
    };
    names.sort(byFit);
    mentions.sort(byScore);
    return names.slice(0, NAME_HITS).concat(mentions.slice(0, DEFINITION_HITS));
  }

  function viaAlias(texts, folded, squeezed) {
    for (var i = 1; i < texts.length; i++) {
      if (fold(texts[i]) === folded || squeeze(texts[i]) === squeezed) return texts[i];
    }
    return "";
  }

  // The same scheme as `bot.site.urls.term_path`.
  function termPath(slug) { return "terms/" + encodeURIComponent(slug) + "/"; }

  function say(text) { status.textContent = text; }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function render(hits, query) {
    list.textContent = "";
    shown = hits;
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (!query.trim()) { close(); say(""); return; }
    if (!hits.length) {
      var none = document.createElement("li");
      none.className = "empty";
      none.setAttribute("role", "option");
      none.setAttribute("aria-disabled", "true");
      none.textContent = "No term matches. Check the spelling or try another word.";
      list.appendChild(none);
      say("No term matches.");
    }
    hits.forEach(function (hit, position) {
      var row = data.terms[hit.id];
      // The link itself is the option, so the list holds no interactive content inside options.
      var item = document.createElement("li");
      item.setAttribute("role", "none");
      var link = document.createElement("a");
      link.id = "search-option-" + position;
      link.setAttribute("role", "option");
      link.setAttribute("aria-selected", "false");
      link.href = root + termPath(row[5]);
      link.tabIndex = -1;
      var name = document.createElement("span");
      name.className = "name";
      name.textContent = row[0];
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = hit.via === "definition" ? "mentioned in the definition"
        : (hit.via ? "also " + hit.via + " · " : "") + data.modules[row[4] - 1];
      link.appendChild(name);
      link.appendChild(meta);
      item.appendChild(link);
      list.appendChild(item);
    });
    if (hits.length) say(hits.length + (hits.length === 1 ? " result" : " results") + "; arrow keys to choose.");
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function highlight(position) {
    var items = list.querySelectorAll("[role=option][id]");
    items.forEach(function (item, i) { item.setAttribute("aria-selected", i === position ? "true" : "false"); });
    active = position;
    if (position >= 0 && items[position]) {
      input.setAttribute("aria-activedescendant", items[position].id);
      items[position].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function update() {
    var query = input.value;
    if (engine) { render(search(query), query); return; }
    load().then(function () { if (engine && input.value === query) render(search(query), query); });
  }

  input.addEventListener("focus", function () { load(); });
  input.addEventListener("input", update);
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) { update(); return; }
      if (!shown.length) return;
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = active + step;
      if (next >= shown.length) next = 0;
      if (next < -1) next = shown.length - 1;
      highlight(next);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (shown.length && !list.hidden) {
        window.location.href = root + termPath(data.terms[shown[Math.max(active, 0)].id][5]);
      }
    } else if (event.key === "Escape") {
      if (!list.hidden) { event.preventDefault(); close(); }
    }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("focusout", function (event) {
    if (!form.contains(event.relatedTarget)) close();
  });

  var preset = new URLSearchParams(window.location.search).get("q");
  if (preset) {
    input.value = preset;
    update();
  }
})();
