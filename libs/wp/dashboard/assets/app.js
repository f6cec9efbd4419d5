// My Workerpool Dashboard: reads the core's dashboard JSON API (docs/scheduler.md: <api>/summary, /workers, /deals,
// /orders, /account, /failures, /throughput) and refreshes it live: a WebSocket subscribed to the "dashboard" topic
// ("summary" events update the counters at once; "task" / "worker" events trigger a fetch), and a poll every few
// seconds when the socket is down. The owner's stake is sampled at each fetch to draw its curve.
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

  function renderPool(d) {
    var p = d.pool || {};
    $("pool-address").textContent = p.address || "–";
    $("pool-owner").textContent = p.owner || "–";
    $("pool-description").textContent = p.description || "–";
    var a = d.account || {};
    $("account-stake").textContent = rlc(a.stake);
    $("account-locked").textContent = rlc(a.locked);
    var earnings = a.earnings || [];
    // Earnings over time: the owner's stake sampled since the page opened (the pool's rewards land there).
    var change = "–";
    if (earnings.length && typeof BigInt === "function") {
      var d = BigInt(earnings[earnings.length - 1].total) - BigInt(earnings[0].total);
      change = (d < 0n ? "-" : "+") + rlc((d < 0n ? -d : d).toString());
    }
    $("account-earned").textContent = change;
    line($("earnings-chart"), earnings.map(function (e) { return Number(e.total) / 1e9; }));
  }
  function renderTasks(d) {
    var t = d.tasks || {}, chips = $("task-status"); clear(chips);
    var by = t.byStatus || {}, names = Object.keys(by).sort();
    if (!names.length) chips.appendChild(el("span", "chip", "no task yet"));
    names.forEach(function (s) { var c = el("span", "chip " + s, s); c.appendChild(el("b", null, by[s])); c.dataset.status = s; chips.appendChild(c); });
    bars($("throughput-chart"), (t.throughput || []).map(function (p) { return Number(p.completed) || 0; }));
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
      cell(tr, (w.tasks || []).map(short).join(" ") || "–", "mono");
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
    if (!os.length) emptyRow(tb, 6, "no open order");
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
  }
  function renderFailures(d) {
    var fs = d.failures || [], ul = $("failures"); clear(ul);
    if (!fs.length) ul.appendChild(el("li", "empty-row", "no failure"));
    fs.forEach(function (f) {
      var li = el("li"); li.appendChild(el("span", "mono", short(f.taskid) + " ")); li.appendChild(el("span", "reason", f.reason || "unknown"));
      li.appendChild(el("span", "progress-text", " · " + ago(f.time))); ul.appendChild(li);
    });
  }
  function render(d) {
    state.last = d;
    renderPool(d); renderTasks(d); renderWorkers(d); renderDeals(d); renderOrders(d); renderFailures(d);
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
  var samples = [];
  // The core's answers -> the one object the render functions read.
  function compose(sum, workers, deals, orders, account, failures, throughput) {
    var by = {};
    Object.keys(sum.tasks || {}).forEach(function (k) { if (Number(sum.tasks[k]) > 0) by[k] = sum.tasks[k]; });
    if (account && account.stake !== undefined) {
      var t = Date.now() / 1000, total = String(account.stake);
      if (!samples.length || samples[samples.length - 1].total !== total || t - samples[samples.length - 1].time > 30)
        samples.push({ time: t, total: total });
      if (samples.length > 120) samples.shift();
    }
    return {
      pool: { address: sum.workerpool, owner: sum.owner || (account && account.owner), description: "chain " + sum.chainId },
      account: { stake: account && account.stake, locked: account && account.locked, earnings: samples.slice() },
      workers: (workers.workers || []).map(function (w) {
        return { address: w.address, alive: w.alive, slots: w.cpuSlots, running: w.usedSlots, tasks: w.currentTasks,
                 lastSeen: w.lastSeenMs / 1000, score: w.score, tee: (w.teeFrameworks || []).join(",") };
      }),
      tasks: { byStatus: by, throughput: ((throughput && throughput.completed) || []).map(function (b) { return { time: b.atMs / 1000, completed: b.count }; }) },
      deals: (deals.deals || []).map(function (d) {
        var done = Number(d.completed) + Number(d.failed) >= Number(d.botSize);
        return { dealid: d.dealId, app: d.app, category: d.category, botSize: d.botSize, completed: d.completed, failed: d.failed,
                 status: d.refusal ? "refused: " + d.refusal : (done ? "done" : "running") };
      }),
      orders: (orders.orders || []).map(function (o) {
        return { orderHash: o.orderHash, remaining: o.remaining, volume: o.volume, price: o.price, tag: o.tag, category: o.category,
                 filled: Number(o.volume) - Number(o.remaining) };
      }),
      failures: (failures.failures || []).map(function (f) { return { time: f.atMs / 1000, taskid: f.taskId, reason: f.failure }; })
    };
  }

  function fetchSnapshot() {
    if (state.fetching) { state.again = true; return; }
    state.fetching = true;
    Promise.all([getJson("/summary"), optional("/workers", {}), optional("/deals?limit=20", {}), optional("/orders", {}),
                 optional("/account", null), optional("/failures?limit=20", {}), optional("/throughput?minutes=60", {})])
      .then(function (r) {
        render(compose.apply(null, r));
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
