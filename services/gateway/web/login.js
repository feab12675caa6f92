// The login page: phone + password over the gateway's AuthService (JSON), then the pages of the
// person's role (or the page they came from).
"use strict";

(() => {
  // Which pages a role works on; other roles' pages are added beside these (people-pages).
  const PAGES = [
    { href: "/app/board.html", title: "订单看板", roles: ["ACCOUNT_ROLE_HQ_ADMIN", "ACCOUNT_ROLE_REGIONAL_MANAGER", "ACCOUNT_ROLE_CUSTOMER_SERVICE",
      "ACCOUNT_ROLE_OFFICE_ORDER_LEAD", "ACCOUNT_ROLE_DISTRICT_ORDER_LEAD"] },
    { href: "/app/lead.html", title: "待我处理的订单", roles: ["ACCOUNT_ROLE_OFFICE_ORDER_LEAD", "ACCOUNT_ROLE_DISTRICT_ORDER_LEAD",
      "ACCOUNT_ROLE_CUSTOMER_SERVICE", "ACCOUNT_ROLE_REGIONAL_MANAGER"] },
    // people-pages (issue 20): the salesperson's, the intermediary's and the regional manager's pages.
    { href: "/app/sales.html", title: "我的客户与跟进", roles: ["ACCOUNT_ROLE_SALESPERSON", "ACCOUNT_ROLE_TEAM_ADMIN"] },
    { href: "/app/referrer.html", title: "我的推荐码与奖励", roles: ["ACCOUNT_ROLE_INTERMEDIARY", "ACCOUNT_ROLE_ALLIANCE_LEAD"] },
    { href: "/app/statements.html", title: "待签字结算单", roles: ["ACCOUNT_ROLE_REGIONAL_MANAGER"] },
  ];
  const form = document.getElementById("login");
  const message = document.getElementById("message");
  const submit = document.getElementById("submit");

  function nextPage() {
    const next = new URLSearchParams(location.search).get("next");
    // Only our own pages: never an open redirect.
    return next && next.startsWith("/app/") && !next.startsWith("//") ? next : null;
  }

  function showPages(account) {
    form.classList.add("hidden");
    document.getElementById("pages").classList.remove("hidden");
    document.getElementById("hello").textContent = account.name + "（" + (XSC.ROLE_NAMES[account.role] || account.role) + "）";
    const links = document.getElementById("links");
    links.replaceChildren();
    const mine = PAGES.filter((page) => page.roles.includes(account.role));
    for (const page of mine) links.append(XSC.el("li", {}, XSC.el("a", { href: page.href, text: page.title })));
    if (mine.length === 0) links.append(XSC.el("li", { text: "您的角色暂无网页（请使用短信或 xsc 命令行）。" }));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    XSC.hide(message);
    submit.disabled = true;
    try {
      const account = await XSC.login(document.getElementById("phone").value.trim(), document.getElementById("password").value);
      const next = nextPage();
      if (next) { location.replace(next); return; }
      showPages(account);
    } catch (err) {
      XSC.show(message, err);
    } finally {
      submit.disabled = false;
    }
  });
  document.getElementById("signout").addEventListener("click", XSC.logout);

  if (XSC.token()) {
    XSC.requireSession().then(showPages).catch(() => {});
  }
})();
