// The regional manager's page: the statements waiting for sign-off (settlements' ListStatements
// in state DRAFT: the region's statements, as settlements decides), each with its PDF
// (ExportStatement; the JSON answer carries the bytes in base64, made into a Blob the browser
// opens or saves: a plain link could not carry the session's Authorization header) and the
// signature (SignStatement). Settlements decides who may read and sign; a refusal shows its
// own message on the statement.
"use strict";

(() => {
  const pageMessage = document.getElementById("message");
  const waitingCount = document.getElementById("waiting-count");
  const signedList = document.getElementById("signed");
  const urls = new Map(); // statementId -> object URL of its PDF

  function pdfBlob(base64) {
    const binary = atob(base64 || "");
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return new Blob([bytes], { type: "application/pdf" });
  }

  /** The statement's PDF as { url, size } of an object URL (fetched once per page load). */
  async function pdfFile(statement) {
    if (!urls.has(statement.statementId)) {
      const answer = await XSC.api("GET", "/v1/staff/statements/" + encodeURIComponent(statement.statementId) + "/export"
        + People.query({ format: "EXPORT_FORMAT_PDF" }));
      const blob = pdfBlob(answer.content);
      // Never hand the browser something else as a PDF (a proxy's error page, an empty answer).
      if (await blob.slice(0, 5).text() !== "%PDF-") throw new Error("服务器返回的文件不是 PDF，请稍后再试。");
      urls.set(statement.statementId, { url: URL.createObjectURL(blob), size: blob.size });
    }
    return urls.get(statement.statementId);
  }

  function describe(statement) {
    return (statement.week || "") + " · " + (statement.lineCount || 0) + " 笔 · 应付 " + XSC.yuan(statement.payableFen)
      + (Number(statement.carriedForwardFen || 0) ? " · 结转 " + XSC.yuan(statement.carriedForwardFen) : "");
  }

  function statementItem(statement) {
    const item = XSC.el("li", { class: "item statement", "data-statement-id": statement.statementId });
    const message = XSC.el("p", { class: "message hidden", "aria-live": "polite" });
    const fileName = "结算单-" + (statement.week || "") + "-" + (statement.payeeName || statement.payeeAccountId || "") + ".pdf";
    const open = XSC.el("button", { type: "button", class: "secondary open-pdf", text: "打开 PDF" });
    const links = XSC.el("span", { class: "pdf-links" });
    open.addEventListener("click", async () => {
      const file = await People.act(item, message, () => pdfFile(statement));
      if (!file) return;
      const size = Math.max(1, Math.round(file.size / 1024)) + " KB";
      // The links stay for a second look (or when the pop-up was blocked): open in a tab, or save.
      links.replaceChildren(
        XSC.el("a", { class: "button pdf-link", href: file.url, target: "_blank", rel: "noopener", "data-bytes": String(file.size),
          text: "在新窗口查看 PDF（" + size + "）" }),
        " ",
        XSC.el("a", { class: "button pdf-download", href: file.url, download: fileName, text: "下载 PDF" }));
      window.open(file.url, "_blank", "noopener");
    });
    const sign = XSC.el("button", { type: "button", class: "sign", text: "签字" });
    sign.addEventListener("click", async () => {
      const answer = await People.act(item, message, () => XSC.api("POST",
        "/v1/staff/statements/" + encodeURIComponent(statement.statementId) + "/sign", {}));
      if (!answer) return;
      const signed = answer.statement || statement;
      item.remove();
      waitingCount.textContent = String(Math.max(0, Number(waitingCount.textContent) - 1));
      document.getElementById("signed-empty").classList.add("hidden");
      signedList.prepend(XSC.el("li", { class: "item signed", "data-statement-id": signed.statementId },
        XSC.el("div", { class: "top" }, XSC.el("span", { class: "name", text: signed.payeeName || "" }),
          XSC.el("span", { class: "amount", text: XSC.yuan(signed.totalFen) })),
        XSC.el("div", { class: "meta", text: "已签字 " + People.when(signed.signedAtMs) + " · " + describe(signed) })));
      XSC.show(pageMessage, "已签字：" + (signed.payeeName || "") + " " + (signed.week || ""), "info");
    });
    item.append(
      XSC.el("div", { class: "top" }, XSC.el("span", { class: "name", text: statement.payeeName || statement.payeeAccountId || "" }),
        XSC.el("span", { class: "amount" + (Number(statement.totalFen) < 0 ? " negative" : ""), text: XSC.yuan(statement.totalFen) })),
      XSC.el("div", { class: "meta", text: describe(statement) }),
      XSC.el("div", { class: "actions" }, open, sign), links, message);
    return item;
  }

  const waiting = People.pagedList(document.getElementById("statements"), document.getElementById("statements-more"),
    document.getElementById("statements-empty"), async (cursor) => {
      const answer = await XSC.api("GET", "/v1/staff/statements" + People.query({ state: "STATEMENT_STATE_DRAFT", "page.pageSize": 20, "page.cursor": cursor }));
      return { items: answer.statements || [], nextCursor: answer.page && answer.page.nextCursor };
    }, statementItem);

  async function load() {
    await People.act(document.getElementById("refresh").parentElement, pageMessage, () => waiting.reload());
    waitingCount.textContent = String(waiting.count);
  }

  document.getElementById("refresh").addEventListener("click", load);
  document.getElementById("statements-more").addEventListener("click", async () => {
    await People.act(document.getElementById("statements-more").parentElement, pageMessage, () => waiting.more());
    waitingCount.textContent = String(waiting.count);
  });

  XSC.requireSession().then(async (account) => {
    XSC.header(account, "待签字结算单");
    await load();
    document.body.dataset.loaded = "true";
  }).catch((err) => XSC.show(pageMessage, err));
})();
