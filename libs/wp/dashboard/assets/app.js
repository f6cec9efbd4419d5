// My Workerpool Dashboard: reads the core's dashboard JSON API (docs/scheduler.md: <api>/summary, /workers, /tasks,
// /tasks/<id>, /deals, /orders, /account, /failures, /throughput) and refreshes it live: a WebSocket subscribed to the
// "dashboard" topic ("summary", "throughput" and "account" events are rendered at once, "failure" is prepended to the
// list; "task", "worker" and "fills" trigger a fetch), and a poll every few seconds when the socket is down.
// Every value is written with textContent / attributes, never as HTML (failure reasons come from apps).
(function () {
  "use strict";
  var api = document.querySelector('meta[name="wp-api"]').content || "/api";
  var wsPath = document.querySelector('meta[name="wp-ws"]').content || "";
  var POLL_MS = 3000;
  var state = { ws: null, wsOpen: false, fetching: false, again: false, timer: null, last: null };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function short(hex) {
    if (typeof hex !== "string") return "–";
    return hex.length > 14 ? hex.slice(0, 8) + "…" + hex.slice(-4) : hex;
  }
  // Amounts are nRLC as decimal strings (they may exceed 2^53): shown in RLC without float rounding.
  function rlc(n) {
    if (n === undefined || n === null) return "–";
    var s = String(n);
    if (!/^[0-9]+$/.test(s)) return s;
    while (s.length < 10) s = "0" + s;
    var whole = s.slice(0, -9).replace(/^0+(?=\d)/, ""), frac = s.slice(-9).replace(/0+$/, "");
    return whole + (frac ? "." + frac : "") + " RLC";
  }
  function ago(t) {
    if (!t) return "never";
    var d = Math.max(0, Math.round(Date.now() / 1000 - Number(t)));
    if (d < 60) return d + " s ago";
    if (d < 3600) return Math.floor(d / 60) + " min ago";
    return Math.floor(d / 3600) + " h ago";
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function emptyRow(tbody, cols, text) {
    var tr = el("tr"); var td = el("td", "empty-row", text); td.colSpan = cols; tr.appendChild(td); tbody.appendChild(tr);
  }
  function cell(tr, text, cls) { var td = el("td", cls, text); tr.appendChild(td); return td; }

  var SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function bars(svg, values) {
    clear(svg);
    if (!values.length) { var t = svgEl("text", { x: 8, y: 50, "class": "empty" }); t.textContent = "no data yet"; svg.appendChild(t); return; }
    var max = Math.max.apply(null, values.concat([1])), w = 300 / values.length;
    values.forEach(function (v, i) {
      var h = (v / max) * 84;
      svg.appendChild(svgEl("rect", { x: i * w + 1, y: 88 - h, width: Math.max(1, w - 2), height: h, "class": "bar" }));
    });
  }
  function line(svg, values) {
    clear(svg);
    if (values.length < 2) { var t = svgEl("text", { x: 8, y: 50, "class": "empty" }); t.textContent = values.length ? "one point so far" : "no data yet"; svg.appendChild(t); return; }
    var max = Math.max.apply(null, values), min = Math.min.apply(null, values), span = max - min || 1;
    var pts = values.map(function (v, i) { return (i * 300 / (values.length - 1)).toFixed(1) + "," + (86 - ((v - min) / span) * 80).toFixed(1); });
    svg.appendChild(svgEl("polyline", { points: pts.join(" "), "class": "line" }));
  }

  function signedRlc(n) {
    if (n === undefined || n === null) return "–";
    var t = String(n), neg = t.charAt(0) === "-";
    return (neg ? "-" : "+") + rlc(neg ? t.slice(1) : t);
  }
  function renderPool(d) {
    var p = d.pool || {};
    $("pool-address").textContent = p.address || "–";
    $("pool-owner").textContent = p.owner || "–";
    $("pool-description").textContent = p.description || "–";
    renderAccount(d.account);
  }
  function renderAccount(a) {
    a = a || {};
    $("account-stake").textContent = rlc(a.stake);
    $("account-locked").textContent = rlc(a.locked);
    $("account-earned").textContent = a.earned === undefined ? "–" : signedRlc(a.earned);
    var earnings = a.earnings || [];
    line($("earnings-chart"), earnings.map(function (e) { return Number(e.total) / 1e9; }));
    var note = "stake + locked over time (read from the chain)";
    if (a.error) note = "chain read failed (" + a.error + "), showing the last value";
    else if (a.updatedMs) note += " · read " + ago(a.updatedMs / 1000);
    $("account-note").textContent = note;
  }
  function renderTasks(d) {
    var t = d.tasks || {}, chips = $("task-status"); clear(chips);
    var by = t.byStatus || {}, names = Object.keys(by).sort();
    if (!names.length) chips.appendChild(el("span", "chip", "no task yet"));
    names.forEach(function (s) { var c = el("span", "chip " + s, s); c.appendChild(el("b", null, by[s])); c.dataset.status = s; chips.appendChild(c); });
    renderThroughput(d.throughput);
  }
  function renderThroughput(th) {
    th = th || {};
    bars($("throughput-chart"), (th.completed || []).map(function (b) { return Number(b.count) || 0; }));
    bars($("throughput-day-chart"), ((th.hourly && th.hourly.completed) || []).map(function (b) { return Number(b.count) || 0; }));
    $("throughput-hour").textContent = th.total ? th.total.lastHour : "–";
    $("throughput-day").textContent = th.total ? th.total.lastDay : "–";
  }
  function renderWorkers(d) {
    var ws = d.workers || [], tb = $("workers").tBodies[0]; clear(tb);
    var alive = ws.filter(function (w) { return w.alive; }).length;
    $("workers-count").textContent = "(" + alive + " alive of " + ws.length + ")";
    if (!ws.length) emptyRow(tb, 6, "no worker has registered yet");
    ws.forEach(function (w) {
      var tr = el("tr"); tr.className = "worker"; tr.dataset.address = w.address || "";
      var name = cell(tr, short(w.address), "mono"); name.title = w.address || "";
      if (w.tee) name.appendChild(el("span", "tee", "TEE " + w.tee));
      cell(tr, w.alive ? "alive" : "lost", "state " + (w.alive ? "alive" : "lost"));
      cell(tr, (w.running || 0) + " / " + (w.slots || 0));
      var cur = cell(tr, (w.tasks || []).length ? "" : "–", "mono");
      (w.tasks || []).forEach(function (id) { cur.appendChild(taskLink(id)); cur.appendChild(document.createTextNode(" ")); });
      cell(tr, ago(w.lastSeen));
      cell(tr, w.score === undefined ? "–" : w.score);
      tb.appendChild(tr);
    });
  }
  function renderDeals(d) {
    var ds = d.deals || [], tb = $("deals").tBodies[0]; clear(tb);
    if (!ds.length) emptyRow(tb, 5, "no deal yet");
    ds.forEach(function (x) {
      var tr = el("tr"); tr.className = "deal"; tr.dataset.dealid = x.dealid || "";
      var id = cell(tr, short(x.dealid), "mono"); id.title = x.dealid || "";
      var app = cell(tr, x.appName || short(x.app), "mono"); app.title = x.app || "";
      cell(tr, x.category === undefined ? "–" : x.category);
      var total = Number(x.botSize) || 0, done = Number(x.completed) || 0, failed = Number(x.failed) || 0;
      var td = el("td"), bar = el("div", "progress"), ok = el("span"), bad = el("i");
      ok.style.width = total ? (100 * done / total) + "%" : "0"; bad.style.width = total ? (100 * failed / total) + "%" : "0";
      bar.appendChild(ok); bar.appendChild(bad); td.appendChild(bar);
      td.appendChild(el("div", "progress-text", done + " / " + total + " completed" + (failed ? ", " + failed + " failed" : "")));
      tr.appendChild(td);
      cell(tr, x.status || "–");
      tb.appendChild(tr);
    });
  }
  function renderOrders(d) {
    var os = d.orders || [], tb = $("orders").tBodies[0]; clear(tb);
    if (!os.length) emptyRow(tb, 6, d.openOrdersKnown ? "no open order" : "open orders unknown (no publishing policy runs in the core)");
    os.forEach(function (o) {
      var tr = el("tr"); tr.className = "order";
      var h = cell(tr, short(o.orderHash), "mono"); h.title = o.orderHash || "";
      cell(tr, (o.remaining === undefined ? "–" : o.remaining) + " / " + (o.volume === undefined ? "–" : o.volume));
      cell(tr, rlc(o.price));
      cell(tr, !o.tag || /^0x0*$/.test(o.tag) ? "0x0 (standard)" : short(o.tag), "mono");
      cell(tr, o.category === undefined ? "–" : o.category);
      cell(tr, o.filled > 0 ? o.filled + " filled" : "none");
      tb.appendChild(tr);
    });
    var fs = d.fills || [], fb = $("fills").tBodies[0]; clear(fb);
    if (!fs.length) emptyRow(fb, 5, "no fill yet");
    fs.forEach(function (f) {
      var tr = el("tr"); tr.className = "fill";
      var h = cell(tr, short(f.orderHash), "mono"); h.title = f.orderHash || "";
      var dl = cell(tr, short(f.dealId), "mono"); dl.title = f.dealId || "";
      cell(tr, f.volume); cell(tr, f.blockNumber); cell(tr, ago(f.timestamp));
      fb.appendChild(tr);
    });
  }
  function failureItem(f) {
    var li = el("li"); li.className = "failure";
    li.appendChild(el("span", "kind", f.kind || "failure"));
    if (f.taskId) { li.appendChild(taskLink(f.taskId)); li.appendChild(document.createTextNode(" ")); }
    else if (f.dealId) li.appendChild(el("span", "mono", "deal " + short(f.dealId) + " "));
    li.appendChild(el("span", "reason", f.reason || f.status || "unknown"));
    li.appendChild(el("span", "progress-text", " · " + (f.worker ? short(f.worker) + " · " : "") + ago(f.atMs / 1000)));
    return li;
  }
  function renderFailures(d) {
    var fs = d.failures || [], ul = $("failures"); clear(ul);
    if (!fs.length) ul.appendChild(el("li", "empty-row", "no failure"));
    fs.forEach(function (f) { ul.appendChild(failureItem(f)); });
  }
  function renderRecent(d) {
    var ts = d.recent || [], tb = $("recent").tBodies[0]; clear(tb);
    if (!ts.length) emptyRow(tb, 4, "no task yet");
    ts.forEach(function (t) {
      var tr = el("tr"); tr.className = "task"; tr.dataset.status = t.status || "";
      var c = el("td"); c.appendChild(taskLink(t.taskId)); tr.appendChild(c);
      cell(tr, short(t.dealId) + " · " + t.index, "mono");
      var st = el("td"); st.appendChild(el("span", "chip " + (t.status || ""), t.status || "–")); tr.appendChild(st);
      cell(tr, ago(t.updatedMs / 1000));
      tb.appendChild(tr);
    });
  }

  // One task: fetched on demand (tap a task id anywhere), refreshed while it is open.
  var detailId = null;
  function taskLink(id) {
    var b = el("button", "linkish mono", short(id)); b.type = "button"; b.title = id; b.dataset.task = id;
    b.addEventListener("click", function () { openTask(id); });
    return b;
  }
  function openTask(id) { detailId = id; $("task-detail").hidden = false; loadTask(true); }
  function loadTask(scroll) {
    if (!detailId) return;
    var id = detailId;
    getJson("/tasks/" + id).then(function (t) {
      if (id !== detailId) return;
      renderTask(t);
      if (scroll && $("task-detail").scrollIntoView) $("task-detail").scrollIntoView({ block: "start" });
    }).catch(function (e) { $("detail-status").textContent = "unavailable (" + e.message + ")"; });
  }
  function when(ms) { return ms ? new Date(ms).toLocaleTimeString() : "–"; }
  function renderTask(t) {
    $("detail-id").textContent = short(t.taskId); $("detail-id").title = t.taskId;
    $("detail-status").textContent = t.status + (t.failure ? " — " + t.failure : "");
    $("detail-deal").textContent = short(t.dealId) + " · index " + t.index + (t.deal ? " · trust " + t.deal.trust + " · category " + t.deal.category : "");
    $("detail-deadlines").textContent = "contribution " + new Date(t.contributionDeadline * 1000).toLocaleString() +
      (t.revealDeadline ? " · reveal " + new Date(t.revealDeadline * 1000).toLocaleString() : "") +
      " · final " + new Date(t.finalDeadline * 1000).toLocaleString();
    var res = $("detail-result"); clear(res);
    var link = null;
    try { link = t.resultLink ? JSON.parse(t.resultLink) : null; } catch (e) { link = null; }
    if (link && typeof link.location === "string" && /^https?:/.test(link.location)) {
      var a = el("a", null, link.location); a.href = link.location; a.rel = "noopener"; res.appendChild(a);
    } else res.textContent = t.resultLink || "–";
    var ev = $("detail-events"); clear(ev);
    (t.events || []).forEach(function (e) { ev.appendChild(el("li", null, when(e.atMs) + " · " + e.status + " (" + e.event + ")")); });
    if (!(t.events || []).length) ev.appendChild(el("li", "empty-row", "no transition yet"));
    var rb = $("detail-replicates").tBodies[0]; clear(rb);
    if (!(t.replicates || []).length) emptyRow(rb, 3, "no replicate");
    (t.replicates || []).forEach(function (r) {
      var tr = el("tr"); var w = cell(tr, short(r.worker), "mono"); w.title = r.worker;
      cell(tr, r.status + (r.cause ? " (" + r.cause + ")" : "") + (r.message ? ": " + r.message : ""));
      cell(tr, (r.history || []).map(function (h) { return h.status + " " + when(h.atMs); }).join(" → "), "history");
      rb.appendChild(tr);
    });
    var ib = $("detail-intents").tBodies[0]; clear(ib);
    if (!(t.intents || []).length) emptyRow(ib, 3, "no on-chain action yet");
    (t.intents || []).forEach(function (i) {
      var tr = el("tr"); cell(tr, i.kind); cell(tr, (i.status || "unknown") + (i.error ? ": " + i.error : ""));
      var h = cell(tr, i.txHash ? short(i.txHash) + (i.block ? " @" + i.block : "") : "–", "mono"); h.title = i.txHash || "";
      ib.appendChild(tr);
    });
  }
  $("detail-close").addEventListener("click", function () { detailId = null; $("task-detail").hidden = true; });

  function render(d) {
    state.last = d;
    renderPool(d); renderTasks(d); renderWorkers(d); renderRecent(d); renderDeals(d); renderOrders(d); renderFailures(d);
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    document.body.dataset.loaded = "1";
  }

  function setConn(kind, text) { $("conn").className = "dot " + kind; $("conn-text").textContent = text; }

  function getJson(p) {
    return fetch(api + p, { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(p + ": HTTP " + r.status);
      return r.json();
    });
  }
  function optional(p, fallback) { return getJson(p).catch(function () { return fallback; }); }
  // The core's answers -> the one object the render functions read.
  function compose(sum, workers, deals, orders, account, failures, throughput, recent) {
    var by = {};
    Object.keys(sum.tasks || {}).forEach(function (k) { if (Number(sum.tasks[k]) > 0) by[k] = sum.tasks[k]; });
    return {
      pool: { address: sum.workerpool, owner: sum.owner || (account && account.owner), description: "chain " + sum.chainId },
      account: account || {},
      workers: (workers.workers || []).map(function (w) {
        return { address: w.address, alive: w.alive, slots: w.cpuSlots, running: w.usedSlots, tasks: w.currentTasks,
                 lastSeen: w.lastSeenMs / 1000, score: w.score, tee: (w.teeFrameworks || []).join(",") };
      }),
      tasks: { byStatus: by },
      throughput: throughput || {},
      recent: (recent && recent.tasks) || [],
      deals: (deals.deals || []).map(function (d) {
        var done = Number(d.completed) + Number(d.failed) >= Number(d.botSize);
        return { dealid: d.dealId, app: d.app, category: d.category, botSize: d.botSize, completed: d.completed, failed: d.failed,
                 status: d.refusal ? "refused: " + d.refusal : (done ? "done" : "running") };
      }),
      openOrdersKnown: !!orders.openOrdersKnown,
      orders: (orders.orders || []).map(function (o) {
        return { orderHash: o.orderHash, remaining: o.remaining, volume: o.volume, price: o.price, tag: o.tag, category: o.category,
                 filled: Number(o.volume) - Number(o.remaining) };
      }),
      fills: orders.fills || [],
      failures: failures.failures || []
    };
  }

  function fetchSnapshot() {
    if (state.fetching) { state.again = true; return; }
    state.fetching = true;
    Promise.all([getJson("/summary"), optional("/workers", {}), optional("/deals?limit=20", {}), optional("/orders?limit=20", {}),
                 optional("/account", null), optional("/failures?limit=20", {}), optional("/throughput", {}),
                 optional("/tasks?limit=15", {})])
      .then(function (r) {
        render(compose.apply(null, r));
        loadTask(false);
        if (!state.wsOpen) setConn("poll", "polling every " + POLL_MS / 1000 + " s");
      }).catch(function (e) {
        setConn("off", "API unreachable (" + e.message + ")");
      }).then(function () {
        state.fetching = false;
        if (state.again) { state.again = false; fetchSnapshot(); }
      });
  }
  var pending = null;
  function fetchSoon() { if (!pending) pending = setTimeout(function () { pending = null; fetchSnapshot(); }, 300); }

  function connect() {
    if (!wsPath || typeof WebSocket === "undefined") return;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + wsPath;
    var ws;
    try { ws = new WebSocket(url); } catch (e) { return; }
    state.ws = ws;
    ws.onopen = function () {
      state.wsOpen = true; setConn("on", "live");
      ws.send(JSON.stringify({ op: "subscribe", topic: "dashboard" }));
      fetchSnapshot();
    };
    ws.onmessage = function (m) {
      var msg; try { msg = JSON.parse(m.data); } catch (e) { return; }
      if (msg.topic !== "dashboard") return;
      if (msg.event === "summary" && msg.data && state.last) {
        var by = {};
        Object.keys(msg.data.tasks || {}).forEach(function (k) { if (Number(msg.data.tasks[k]) > 0) by[k] = msg.data.tasks[k]; });
        state.last.tasks.byStatus = by;
        render(state.last);
      } else if (msg.event === "throughput" && msg.data && state.last) {
        state.last.throughput = msg.data; renderThroughput(msg.data);
      } else if (msg.event === "account" && msg.data && state.last) {
        state.last.account = msg.data; renderAccount(msg.data);
      } else if (msg.event === "failure" && msg.data && state.last) {
        state.last.failures = [msg.data].concat(state.last.failures || []).slice(0, 20); renderFailures(state.last);
      } else {
        fetchSoon();
      }
    };
    ws.onclose = function () {
      state.wsOpen = false; state.ws = null; setConn("poll", "reconnecting…");
      setTimeout(connect, POLL_MS);
    };
  }

  $("api-url").textContent = api;
  fetchSnapshot();
  connect();
  // The poll runs whatever the socket's state: "last seen" ages and a missed event are corrected within a period.
  state.timer = setInterval(function () { if (!state.wsOpen) fetchSnapshot(); else if (state.last) render(state.last); }, POLL_MS);
  setInterval(function () { if (state.wsOpen) fetchSnapshot(); }, 5 * POLL_MS);
})();
