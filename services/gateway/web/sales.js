// The salesperson's page: the follow-ups due today (my customers whose next follow-up falls
// before tomorrow, from SearchCustomers) and the tasks colleagues asked of me (ListMyTasks, each
// completed here), my customers (SearchCustomers with my own scope: customers closes every
// search inside the caller's team), each with its follow-up history (ListFollowUps) and a form
// to add one (AddFollowUp). The customers service decides every read and write; a refusal
// shows its own message where the person acted.
"use strict";

(() => {
  const pageMessage = document.getElementById("message");
  let me = {};

  const GRADES = { GRADE_A: "A 类", GRADE_B: "B 类", GRADE_C: "C 类" };
  const CHANNELS = [["CHANNEL_PHONE", "电话"], ["CHANNEL_VISIT", "拜访"], ["CHANNEL_WECHAT", "微信"], ["CHANNEL_SMS", "短信"], ["CHANNEL_OTHER", "其他"]];
  const OUTCOMES = [["OUTCOME_INTERESTED", "有意向"], ["OUTCOME_CALL_BACK", "约定再联系"], ["OUTCOME_ORDERED", "已下单"],
    ["OUTCOME_NO_ANSWER", "未接通"], ["OUTCOME_DECLINED", "拒绝"]];
  const label = (pairs, value) => (pairs.find(([v]) => v === value) || [value, value || ""])[1];

  // -- customers -------------------------------------------------------------------------

  function dueText(customer) {
    const next = Number(customer.nextFollowUpAtMs || 0);
    if (!next) return null;
    const late = next < Date.now();
    return XSC.el("span", { class: "due" + (late ? " late" : ""), text: (late ? "已逾期 · " : "下次跟进 ") + People.when(next) });
  }

  function historyOf(customer, list, message) {
    return People.act(list.parentElement, message, async () => {
      const answer = await XSC.api("GET", "/v1/staff/customers/" + encodeURIComponent(customer.id) + "/follow-ups" + People.query({ "page.pageSize": 20 }));
      const items = answer.followUps || [];
      list.replaceChildren(...items.map((f) => XSC.el("li", { class: "follow-up" },
        XSC.el("div", { class: "meta", text: People.when(f.createdAtMs) + " · " + label(CHANNELS, f.channel) + " · " + label(OUTCOMES, f.outcome) }),
        XSC.el("div", { text: f.content || "" }))));
      if (items.length === 0) list.append(XSC.el("li", { class: "empty", text: "还没有跟进记录。" }));
      list.classList.remove("hidden");
    });
  }

  function followUpForm(customer, item, message, history) {
    const id = (name) => name + "-" + customer.id;
    const channel = XSC.el("select", { id: id("channel"), class: "channel" });
    for (const [value, text] of CHANNELS) channel.append(XSC.el("option", { value, text }));
    const outcome = XSC.el("select", { id: id("outcome"), class: "outcome" });
    for (const [value, text] of OUTCOMES) outcome.append(XSC.el("option", { value, text }));
    const content = XSC.el("textarea", { id: id("content"), class: "content", rows: "3" });
    // Tomorrow 10:00 by default; empty means no next follow-up.
    const next = XSC.el("input", { id: id("next"), class: "next", type: "datetime-local",
      value: People.msToLocalInput(People.endOfTodayMs() + 10 * 3600 * 1000) });
    const submit = XSC.el("button", { type: "submit", class: "submit-follow-up", text: "保存跟进" });
    const cancel = XSC.el("button", { type: "button", class: "secondary", text: "取消" });
    const form = XSC.el("form", { class: "follow-up-form", novalidate: "" },
      XSC.el("label", { for: id("channel"), text: "联系方式" }), channel,
      XSC.el("label", { for: id("content"), text: "跟进内容" }), content,
      XSC.el("label", { for: id("outcome"), text: "结果" }), outcome,
      XSC.el("label", { for: id("next"), text: "下次跟进时间（可不填）" }), next,
      XSC.el("div", { class: "actions" }, submit, cancel));
    // One key per filled-in form: a second click after a lost answer records it once.
    const key = People.newKey();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // Whatever was typed goes to the server as is: its validation speaks, not ours.
      const answer = await People.act(form, message, () => People.apiOnce("POST",
        "/v1/staff/customers/" + encodeURIComponent(customer.id) + "/follow-ups",
        { channel: channel.value, content: content.value, outcome: outcome.value,
          nextFollowUpAtMs: String(People.localInputToMs(next.value)) }, key), "跟进已保存");
      if (answer) {
        form.remove();
        await historyOf(customer, history, XSC.el("p"));
        loadDue();
      }
    });
    cancel.addEventListener("click", () => form.remove());
    return form;
  }

  function customerItem(customer) {
    const item = XSC.el("li", { class: "item customer", "data-customer-id": customer.id });
    const message = XSC.el("p", { class: "message hidden", "aria-live": "polite" });
    const history = XSC.el("ul", { class: "history hidden", "aria-label": "跟进记录" });
    const showHistory = XSC.el("button", { type: "button", class: "secondary show-history", text: "跟进记录" });
    const add = XSC.el("button", { type: "button", class: "add-follow-up", text: "添加跟进" });
    showHistory.addEventListener("click", () => historyOf(customer, history, message));
    add.addEventListener("click", () => {
      if (item.querySelector("form.follow-up-form")) return;
      const form = followUpForm(customer, item, message, history);
      item.insertBefore(form, message);
      form.querySelector("textarea").focus();
    });
    const phones = (customer.phones || []).join("、");
    const due = dueText(customer);
    item.append(
      XSC.el("div", { class: "top" }, XSC.el("span", { class: "name", text: customer.name || "" }),
        XSC.el("span", { class: "meta", text: GRADES[customer.grade] || "" })),
      XSC.el("div", { class: "meta phones", text: phones }),
      XSC.el("div", { class: "meta", text: customer.address || "" }),
      ...(due ? [due] : []),
      XSC.el("div", { class: "actions" }, showHistory, add),
      message, history);
    return item;
  }

  function customersPage(params) {
    return async (cursor) => {
      const answer = await XSC.api("GET", "/v1/staff/customers" + People.query({ ...params, "page.pageSize": 20, "page.cursor": cursor }));
      return { items: answer.customers || [], nextCursor: answer.pageInfo && answer.pageInfo.nextCursor };
    };
  }

  // -- today -------------------------------------------------------------------------------

  const due = People.pagedList(document.getElementById("due"), document.getElementById("due-more"), document.getElementById("due-empty"),
    (cursor) => customersPage({ ownerAccountId: me.id, followUpDueBeforeMs: People.endOfTodayMs() })(cursor), customerItem);

  async function loadDue() {
    try {
      await due.reload();
      document.getElementById("due-count").textContent = String(due.count);
    } catch (err) { XSC.show(pageMessage, err); }
  }

  function taskItem(task) {
    const item = XSC.el("li", { class: "item task", "data-task-id": task.id });
    const message = XSC.el("p", { class: "message hidden", "aria-live": "polite" });
    const done = XSC.el("button", { type: "button", class: "complete-task", text: "完成" });
    done.addEventListener("click", async () => {
      const answer = await People.act(item, message, () => XSC.api("POST", "/v1/staff/tasks/" + encodeURIComponent(task.id) + "/complete", {}), "已完成");
      if (answer) { done.remove(); item.classList.add("done"); }
    });
    item.append(XSC.el("div", { class: "top" }, XSC.el("span", { class: "name", text: task.customerName || "" }),
      XSC.el("span", { class: "meta", text: "请求于 " + People.when(task.createdAtMs) })),
    XSC.el("div", { class: "actions" }, done), message);
    return item;
  }

  const tasks = People.pagedList(document.getElementById("tasks"), document.getElementById("tasks-more"), document.getElementById("tasks-empty"),
    async (cursor) => {
      const answer = await XSC.api("GET", "/v1/staff/tasks" + People.query({ "page.pageSize": 20, "page.cursor": cursor }));
      return { items: answer.tasks || [], nextCursor: answer.pageInfo && answer.pageInfo.nextCursor };
    }, taskItem);

  // -- search ------------------------------------------------------------------------------

  let customers = null;
  const searchMessage = document.getElementById("search-message");
  function search() {
    const scope = document.getElementById("q-scope").value;
    customers = People.pagedList(document.getElementById("customers"), document.getElementById("customers-more"),
      document.getElementById("customers-empty"), customersPage({
        name: document.getElementById("q-name").value.trim(), phone: document.getElementById("q-phone").value.trim(),
        ownerAccountId: scope === "mine" ? me.id : "",
      }), customerItem);
    return People.act(document.getElementById("search"), searchMessage, () => customers.reload()).finally(() => {
      // For tests (and support staff): how many searches have answered.
      document.body.dataset.searches = String(Number(document.body.dataset.searches || 0) + 1);
    });
  }

  document.getElementById("search").addEventListener("submit", (event) => { event.preventDefault(); search(); });
  document.getElementById("customers-more").addEventListener("click", () => People.act(document.getElementById("customers-card"), searchMessage, () => customers.more()));
  document.getElementById("due-more").addEventListener("click", () => People.act(document.getElementById("today"), pageMessage, () => due.more()));
  document.getElementById("tasks-more").addEventListener("click", () => People.act(document.getElementById("today"), pageMessage, () => tasks.more()));

  XSC.requireSession().then(async (account) => {
    me = account;
    XSC.header(account, "我的客户");
    await Promise.all([loadDue(), tasks.reload().then(() => {
      document.getElementById("task-count").textContent = String(tasks.count);
    }).catch((err) => XSC.show(pageMessage, err)), search()]);
    document.body.dataset.loaded = "true";
  }).catch((err) => XSC.show(pageMessage, err));
})();
