// The board: every order the signed-in person may read, by lane, live from WatchBoard (a
// snapshot, then changes); waiting orders count down to their deadline on the server's clock.
"use strict";

(() => {
  const LANES = ["BOARD_LANE_WAITING", "BOARD_LANE_ESCALATED", "BOARD_LANE_PROMPT_UNDELIVERED", "BOARD_LANE_AWAITING_VISIT"];
  const rows = new Map();        // orderId -> BoardRow
  const violations = new Map();  // id -> BoardViolation
  let skewMs = 0;                // server clock - our clock, from server_time_ms
  const stateLine = document.getElementById("state");
  const message = document.getElementById("message");

  function apply(update) {
    if (update.serverTimeMs) skewMs = Number(update.serverTimeMs) - Date.now();
    // For people nothing; for tests (and support staff) how many snapshots the page has had.
    if (update.snapshot) document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1);
    if (update.snapshot) {
      rows.clear();
      violations.clear();
      // The server sends at most 2,000 rows in a snapshot: say so rather than look complete.
      document.getElementById("truncated").classList.toggle("hidden", !update.truncated);
    }
    for (const row of update.rows || []) {
      if (!row.lane || row.lane === "BOARD_LANE_GONE" || !LANES.includes(row.lane)) rows.delete(row.orderId);
      else rows.set(row.orderId, row);
    }
    for (const v of update.violations || []) violations.set(v.id, v);
    render();
  }

  function rowItem(row) {
    const countdown = row.lane === "BOARD_LANE_WAITING" && Number(row.deadlineAtMs) > 0
      ? XSC.el("span", { class: "countdown", "data-deadline": row.deadlineAtMs }) : null;
    const escalation = Number(row.escalationLevel) > 0 ? XSC.el("span", { class: "meta", text: "已升级 " + row.escalationLevel + " 级" }) : null;
    return XSC.el("li", { class: "row", "data-order-id": row.orderId, "data-state": row.state || "" },
      XSC.el("div", { class: "top" },
        XSC.el("span", { class: "code", text: row.orderCode || row.orderId }),
        countdown || escalation),
      XSC.el("div", { text: (row.customerName || "") + " · " + (row.itemCount || 0) + " 件 · " + XSC.yuan(row.totalFen) }),
      XSC.el("div", { class: "who", text: "负责人：" + (row.responsibleName || "—") + " · " + (XSC.STATES[row.state] || row.state || "") }),
      XSC.el("div", { class: "meta", text: (XSC.SOURCES[row.source] || row.source || "") + " · " + (row.districtId || "")
        + (row.note ? " · " + row.note : "") }));
  }

  function render() {
    for (const lane of LANES) {
      const section = document.getElementById("lane-" + lane);
      const mine = [...rows.values()].filter((row) => row.lane === lane);
      mine.sort(lane === "BOARD_LANE_WAITING"
        ? (a, b) => Number(a.deadlineAtMs || 0) - Number(b.deadlineAtMs || 0)
        : (a, b) => Number(b.updatedAtMs || 0) - Number(a.updatedAtMs || 0));
      section.querySelector(".count").textContent = String(mine.length);
      const list = section.querySelector(".rows");
      list.replaceChildren(...(mine.length ? mine.map(rowItem) : [XSC.el("li", { class: "empty", text: "暂无" })]));
    }
    const section = document.getElementById("lane-violations");
    const list = [...violations.values()].sort((a, b) => Number(b.recordedAtMs || 0) - Number(a.recordedAtMs || 0));
    section.querySelector(".count").textContent = String(list.filter((v) => !v.withdrawn).length);
    section.querySelector(".rows").replaceChildren(...(list.length ? list.map((v) =>
      XSC.el("li", { class: "row", "data-violation-id": v.id },
        XSC.el("div", { class: "top" }, XSC.el("span", { class: "code", text: v.orderCode || v.orderId }),
          XSC.el("span", { class: "meta", text: v.withdrawn ? "已撤销" : "未撤销" })),
        XSC.el("div", { class: "who", text: "超时步骤：" + (XSC.STEPS[v.step] || v.step) + " · 截止 " + XSC.clock(v.dueAtMs) })))
      : [XSC.el("li", { class: "empty", text: "暂无" })]));
    tick();
  }

  function tick() { XSC.tickCountdowns(skewMs); }

  XSC.followBoard({ title: "订单看板", path: "/v1/staff/board/watch", apply, skew: () => skewMs,
                    stateLine, message });
})();
