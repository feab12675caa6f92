// The intermediary's page: my referral code to share (customers' GetMyReferralCode, made on the
// first call) with a text to pass on and copy buttons, and my rewards (settlements'
// GetMyEarnings): the pending, approved and paid totals and each line with its order code.
// Both services answer only with the caller's own code and earnings.
"use strict";

(() => {
  const pageMessage = document.getElementById("message");
  const copyMessage = document.getElementById("copy-message");
  const STATES = { EARNING_STATE_PENDING: ["待审批", "pending"], EARNING_STATE_APPROVED: ["已审批", "approved"], EARNING_STATE_PAID: ["已支付", "paid"] };
  const KINDS = { LINE_KIND_REWARD: "推荐奖励", LINE_KIND_CLAWBACK: "退款扣回", LINE_KIND_CARRY_FORWARD: "上期结转" };

  function shareText(code) {
    return "我在卖 XSC 的好酒，下单时填写我的推荐码 " + code + "，有任何问题随时找我。";
  }

  /** Copies text: the Clipboard API where the page may use it, else the selection and execCommand. */
  async function copy(text, source) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
      } else {
        source.focus();
        source.select();
        if (!document.execCommand("copy")) throw new Error("copy refused");
      }
      XSC.show(copyMessage, "已复制：" + text, "info");
    } catch (_) {
      // Some browsers refuse both: the text stays selected for a long press / Ctrl+C.
      source.focus();
      source.select();
      XSC.show(copyMessage, "浏览器不允许自动复制，已选中文字，请长按或按 Ctrl+C 复制。", "info");
    }
  }

  async function loadCode() {
    const answer = await XSC.api("GET", "/v1/staff/referral-code");
    const code = answer.code || "";
    document.getElementById("code").textContent = code;
    const text = document.getElementById("share-text");
    text.value = shareText(code);
    const codeButton = document.getElementById("copy-code");
    const shareButton = document.getElementById("copy-share");
    codeButton.disabled = shareButton.disabled = false;
    codeButton.onclick = () => copy(code, text);
    shareButton.onclick = () => copy(text.value, text);
    if (navigator.share) {
      const share = document.getElementById("share");
      share.classList.remove("hidden");
      share.onclick = () => navigator.share({ title: "我的推荐码", text: text.value }).catch(() => {});
    }
  }

  function lineItem(earning) {
    const line = earning.line || {};
    const [stateText, stateClass] = STATES[earning.state] || [earning.state || "", ""];
    const amount = Number(line.amountFen || 0);
    return XSC.el("li", { class: "item earning", "data-order-code": line.orderCode || "", "data-state": earning.state || "" },
      XSC.el("div", { class: "top" },
        XSC.el("span", { class: "name", text: line.orderCode || KINDS[line.kind] || "" }),
        XSC.el("span", { class: "amount" + (amount < 0 ? " negative" : ""), text: XSC.yuan(amount) })),
      XSC.el("div", { class: "meta" },
        XSC.el("span", { class: "state-tag " + stateClass, text: stateText }),
        " " + (KINDS[line.kind] || "") + (Number(line.level) === 2 ? "（二级）" : "") +
        (line.salesFen ? " · 实际销售 " + XSC.yuan(line.salesFen) : "") + (earning.week ? " · " + earning.week : "") +
        (line.occurredAtMs ? " · " + People.when(line.occurredAtMs) : "")));
  }

  let totalsShown = false;
  const lines = People.pagedList(document.getElementById("lines"), document.getElementById("lines-more"), document.getElementById("lines-empty"),
    async (cursor) => {
      const answer = await XSC.api("GET", "/v1/staff/earnings" + People.query({ "page.pageSize": 20, "page.cursor": cursor }));
      if (!totalsShown || !cursor) {
        document.getElementById("pending").textContent = XSC.yuan(answer.pendingFen);
        document.getElementById("approved").textContent = XSC.yuan(answer.approvedFen);
        document.getElementById("paid").textContent = XSC.yuan(answer.paidFen);
        totalsShown = true;
      }
      return { items: answer.lines || [], nextCursor: answer.page && answer.page.nextCursor };
    }, lineItem);

  function loadEarnings() {
    return People.act(document.getElementById("refresh").parentElement, pageMessage, () => lines.reload());
  }

  document.getElementById("refresh").addEventListener("click", loadEarnings);
  document.getElementById("lines-more").addEventListener("click", () => People.act(document.getElementById("lines-more").parentElement, pageMessage, () => lines.more()));

  XSC.requireSession().then(async (account) => {
    XSC.header(account, "我的推荐与奖励");
    await Promise.all([loadCode().catch((err) => XSC.show(pageMessage, err)), loadEarnings()]);
    document.body.dataset.loaded = "true";
  }).catch((err) => XSC.show(pageMessage, err));
})();
