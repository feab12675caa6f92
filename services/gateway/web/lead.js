// The order lead's page: the orders whose next step is mine (WatchBoard mine_only), each with
// its one action: acknowledge, forward to a district lead or dealer, or record the return
// visit. Buttons follow the order's state; the server decides every action, and a refusal
// shows its own message on the order's card.
"use strict";

(() => {
  const cards = new Map();       // orderId -> { row, element }
  const assignees = new Map();   // districtId -> Promise<[Assignee]>
  let skewMs = 0;
  const list = document.getElementById("orders");
  const none = document.getElementById("none");
  const stateLine = document.getElementById("state");
  const pageMessage = document.getElementById("message");

  function assigneesOf(districtId) {
    if (!assignees.has(districtId)) {
      const promise = XSC.api("GET", "/v1/staff/assignees?districtId=" + encodeURIComponent(districtId || ""))
        .then((answer) => answer.assignees || []);
      promise.catch(() => assignees.delete(districtId));
      assignees.set(districtId, promise);
    }
    return assignees.get(districtId);
  }

  /** Runs one action of a card: its buttons wait, the server's refusal shows on the card. */
  async function act(card, button, call, done) {
    const message = card.querySelector(".message");
    XSC.hide(message);
    const buttons = card.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await call();
      XSC.show(message, done, "info");
    } catch (err) {
      XSC.show(message, err);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  function acknowledgeControls(card, row) {
    const button = XSC.el("button", { type: "button", class: "acknowledge", text: "确认收到" });
    button.addEventListener("click", () => act(card, button,
      () => XSC.api("POST", "/v1/staff/orders/" + encodeURIComponent(row.orderId) + "/acknowledge", {}), "已确认收到"));
    return [button];
  }

  function assignControls(card, row) {
    const id = "assignee-" + row.orderId;
    const select = XSC.el("select", { id, class: "assignee" });
    select.append(XSC.el("option", { value: "", text: "加载中…" }));
    assigneesOf(row.districtId).then((people) => {
      select.replaceChildren(...people.map((p) => XSC.el("option", {
        value: p.accountId, "data-role": p.role,
        text: p.name + "（" + (XSC.ROLE_NAMES[p.role] || p.role) + "）",
      })));
      if (people.length === 0) select.append(XSC.el("option", { value: "", text: "本区县没有可转派的人" }));
    }).catch((err) => XSC.show(card.querySelector(".message"), err));
    const button = XSC.el("button", { type: "button", class: "assign", text: "转派" });
    button.addEventListener("click", () => {
      const option = select.selectedOptions[0];
      const kind = option && option.dataset.role === "ACCOUNT_ROLE_DEALER" ? "ASSIGNEE_KIND_DEALER" : "ASSIGNEE_KIND_DISTRICT_LEAD";
      act(card, button, () => XSC.api("POST", "/v1/staff/orders/" + encodeURIComponent(row.orderId) + "/assign",
        { assigneeAccountId: select.value, assigneeKind: kind }), "已转派给 " + (option ? option.textContent : ""));
    });
    return [XSC.el("div", {}, XSC.el("label", { for: id, text: "转派给" }), select), button];
  }

  function visitControls(card, row) {
    const open = XSC.el("button", { type: "button", class: "visit", text: "回访" });
    open.addEventListener("click", async () => {
      const message = card.querySelector(".message");
      XSC.hide(message);
      let order;
      try {
        order = (await XSC.api("GET", "/v1/staff/orders/" + encodeURIComponent(row.orderId))).order;
      } catch (err) { XSC.show(message, err); return; }
      const form = XSC.el("form", { class: "visit-form" });
      const table = XSC.el("table", { class: "lines-table" },
        XSC.el("thead", {}, XSC.el("tr", {}, XSC.el("th", { text: "商品" }), XSC.el("th", { text: "订购" }), XSC.el("th", { text: "实际数量" }))));
      const body = XSC.el("tbody");
      (order.lines || []).forEach((line, index) => {
        const inputID = "actual-" + row.orderId + "-" + index;
        body.append(XSC.el("tr", {},
          XSC.el("td", {}, XSC.el("label", { for: inputID, text: line.skuId })),
          XSC.el("td", { text: String(line.quantity || 0) }),
          XSC.el("td", {}, XSC.el("input", { id: inputID, class: "actual", type: "number", inputmode: "numeric",
            "data-sku": line.skuId, value: String(line.quantity || 0) }))));
      });
      table.append(body);
      const scoreID = "score-" + row.orderId, textID = "text-" + row.orderId;
      const score = XSC.el("select", { id: scoreID, class: "score" });
      for (const n of [5, 4, 3, 2, 1]) score.append(XSC.el("option", { value: String(n), text: n + " 分" }));
      const submit = XSC.el("button", { type: "submit", class: "submit-visit", text: "提交回访" });
      form.append(table, XSC.el("label", { for: scoreID, text: "顾客评价" }), score,
        XSC.el("label", { for: textID, text: "评价内容（可不填）" }), XSC.el("input", { id: textID, class: "evaluation" }),
        XSC.el("div", { class: "actions" }, submit));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const lines = [...form.querySelectorAll("input.actual")].map((input) =>
          ({ skuId: input.dataset.sku, actualQuantity: Number(input.value) }));
        act(card, submit, () => XSC.api("POST", "/v1/staff/orders/" + encodeURIComponent(row.orderId) + "/return-visit",
          { lines, evaluationScore: Number(score.value), evaluationText: form.querySelector("input.evaluation").value }), "回访已记录");
      });
      open.replaceWith(form);
    });
    return [open];
  }

  function controls(card, row) {
    if (!row.actionableByCaller) return [XSC.el("span", { class: "meta", text: "等待 " + (row.responsibleName || "他人") + " 处理" })];
    switch (row.state) {
      case "received":
      case "assigned": return acknowledgeControls(card, row);
      case "acknowledged": return assignControls(card, row);
      case "delivered": return visitControls(card, row);
      default: return [XSC.el("span", { class: "meta", text: XSC.STATES[row.state] || row.state })];
    }
  }

  function cardOf(row) {
    const card = XSC.el("article", { class: "card order", "data-order-id": row.orderId, "data-state": row.state || "" });
    const countdown = Number(row.deadlineAtMs) > 0 ? XSC.el("span", { class: "countdown", "data-deadline": row.deadlineAtMs }) : null;
    card.append(
      XSC.el("div", { class: "top" }, XSC.el("span", { class: "code", text: row.orderCode || row.orderId }), countdown),
      XSC.el("div", { text: (row.customerName || "") + " · " + (row.itemCount || 0) + " 件 · " + XSC.yuan(row.totalFen) }),
      XSC.el("div", { class: "who", text: (XSC.STATES[row.state] || row.state || "") + " · " + (row.districtId || "") }),
      XSC.el("div", { class: "actions" }, ...controls(card, row)),
      XSC.el("p", { class: "message hidden", "aria-live": "polite" }));
    return card;
  }

  function apply(update) {
    if (update.serverTimeMs) skewMs = Number(update.serverTimeMs) - Date.now();
    // For people nothing; for tests (and support staff) how many snapshots the page has had.
    if (update.snapshot) document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1);
    if (update.snapshot) {
      const keep = new Set((update.rows || []).map((row) => row.orderId));
      for (const [id, entry] of cards) if (!keep.has(id)) { entry.element.remove(); cards.delete(id); }
    }
    for (const row of update.rows || []) {
      const entry = cards.get(row.orderId);
      if (!row.lane || row.lane === "BOARD_LANE_GONE") {
        if (entry) { entry.element.remove(); cards.delete(row.orderId); }
        continue;
      }
      // A card is rebuilt only when its order changed, so a form being filled is not lost.
      if (entry && entry.row.state === row.state && entry.row.updatedAtMs === row.updatedAtMs
          && entry.row.actionableByCaller === row.actionableByCaller) { entry.row = row; continue; }
      const element = cardOf(row);
      if (entry) entry.element.replaceWith(element); else list.append(element);
      cards.set(row.orderId, { row, element });
    }
    none.classList.toggle("hidden", cards.size > 0);
    tick();
  }

  function tick() { XSC.tickCountdowns(skewMs); }

  XSC.followBoard({ title: "待我处理的订单", path: "/v1/staff/board/watch?mineOnly=true", apply, skew: () => skewMs,
                    stateLine, message: pageMessage });
})();
