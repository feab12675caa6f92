// The staff pages' shared pieces: the session (token in sessionStorage, sent as Authorization),
// JSON calls that show the server's own message on refusal, and the live stream reader.
// EventSource cannot send an Authorization header, so streams are read with fetch + a
// ReadableStream and parsed as server-sent events here. No library, no build step.
"use strict";

const XSC = (() => {
  const TOKEN_KEY = "xsc.session";
  const ME_KEY = "xsc.me";

  const ROLE_NAMES = {
    ACCOUNT_ROLE_HQ_ADMIN: "总部管理员", ACCOUNT_ROLE_REGIONAL_MANAGER: "片区经理",
    ACCOUNT_ROLE_CUSTOMER_SERVICE: "片区客服", ACCOUNT_ROLE_OFFICE_ORDER_LEAD: "办事处订单负责人",
    ACCOUNT_ROLE_DISTRICT_ORDER_LEAD: "区县订单负责人", ACCOUNT_ROLE_DEALER: "经销商",
    ACCOUNT_ROLE_SALESPERSON: "业务员", ACCOUNT_ROLE_TEAM_ADMIN: "团队管理员",
    ACCOUNT_ROLE_INTERMEDIARY: "中间人", ACCOUNT_ROLE_ALLIANCE_LEAD: "网站联盟负责人",
  };
  // gRPC codes (google.rpc.Code) a stream should not retry: the caller must act first.
  const FINAL_CODES = new Set([3, 5, 7, 9, 12, 16]);

  // What each gRPC code means for the person at the page, in their language; the server's own
  // text (English, written for whoever reads logs too) follows it, since it says which rule.
  const CODE_HEADLINES = {
    3: "输入有误", 4: "请求超时，请重试", 5: "未找到", 6: "已存在", 7: "无权执行此操作",
    8: "系统繁忙，请稍后再试", 9: "当前状态不允许此操作", 10: "操作冲突，请刷新后重试",
    14: "服务暂时不可用，请稍后再试", 16: "身份验证未通过",
  };

  /** A refusal or failure of the server: `message` is a Chinese headline for its code followed
   * by the server's own text (`serverMessage`). */
  class ApiError extends Error {
    constructor(httpStatus, status) {
      const serverMessage = (status && status.message) || "";
      const headline = status ? CODE_HEADLINES[status.code] : undefined;
      super(headline && serverMessage ? headline + "：" + serverMessage
        : (headline || serverMessage || ("服务器错误 (HTTP " + httpStatus + ")")));
      this.serverMessage = serverMessage;
      this.httpStatus = httpStatus;
      this.code = status ? status.code : undefined;
      this.details = (status && status.details) || [];
    }
    /** The message with every field violation the server listed. */
    get fullMessage() {
      const fields = [];
      for (const detail of this.details) {
        for (const v of detail.fieldViolations || []) fields.push(v.field + ": " + v.description);
      }
      return fields.length ? this.message + " (" + fields.join("; ") + ")" : this.message;
    }
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function me() {
    const text = sessionStorage.getItem(ME_KEY);
    return text ? JSON.parse(text) : null;
  }

  function forgetSession() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ME_KEY);
  }

  function toLogin() {
    forgetSession();
    const next = location.pathname + location.search;
    location.replace("/app/?next=" + encodeURIComponent(next));
  }

  async function readStatus(response) {
    try { return await response.json(); } catch (_) { return null; }
  }

  /** A JSON call of the staff API; throws ApiError with the server's message. */
  async function api(method, path, body) {
    const headers = { "Accept": "application/json" };
    const t = token();
    if (t) headers["Authorization"] = "Bearer " + t;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await readStatus(response);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  async function login(phone, password) {
    const answer = await api("POST", "/v1/staff/login", { phone, password });
    sessionStorage.setItem(TOKEN_KEY, answer.sessionToken);
    sessionStorage.setItem(ME_KEY, JSON.stringify(answer.account || {}));
    return answer.account || {};
  }

  async function logout() {
    try { await api("POST", "/v1/staff/logout", {}); } catch (_) { /* the session ends here anyway */ }
    forgetSession();
    location.replace("/app/");
  }

  /** The signed-in account, or a trip to the login page. */
  async function requireSession() {
    if (!token()) { toLogin(); throw new Error("not signed in"); }
    try {
      const answer = await api("GET", "/v1/staff/me");
      sessionStorage.setItem(ME_KEY, JSON.stringify(answer.account || {}));
      return answer.account || {};
    } catch (err) {
      if (err.httpStatus === 401) { toLogin(); }
      throw err;
    }
  }

  /** Shows `err` (the server's message) or a text in a message element. */
  function show(element, textOrError, kind) {
    const isError = textOrError instanceof Error;
    element.textContent = isError ? (textOrError.fullMessage || textOrError.message) : textOrError;
    element.className = "message " + (kind || (isError ? "error" : "info"));
    element.setAttribute("role", isError ? "alert" : "status");
  }

  function hide(element) { element.className = "message hidden"; element.textContent = ""; }

  /** The header bar: who is signed in, the pages of the role, sign out. */
  function header(account, title) {
    document.title = title + " · XSC";
    const bar = document.querySelector("header.bar");
    bar.querySelector("h1").textContent = title;
    const who = bar.querySelector(".who");
    who.textContent = (account.name || "") + " · " + (ROLE_NAMES[account.role] || account.role || "");
    bar.querySelector(".logout").addEventListener("click", logout);
  }

  /**
   * Reads a server-sent-event stream of the staff API with the session's Authorization header.
   * `onMessage(json)` per event; `onState(state, err)` with "live", "retrying" (after a network
   * failure, reconnecting with backoff: a new watch starts with a snapshot) or "stopped" (the
   * server refused: its message in err). Returns { stop() }.
   */
  function watch(path, onMessage, onState) {
    let stopped = false;
    let controller = null;
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

    async function readEvents(response) {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line === "" || line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            let text = colon < 0 ? "" : line.slice(colon + 1);
            if (text.startsWith(" ")) text = text.slice(1);
            if (field === "event") event = text;
            else if (field === "data") data.push(text);
          }
          if (data.length === 0) continue;
          const json = JSON.parse(data.join("\n"));
          if (event === "error") throw new ApiError(0, json);
          onMessage(json);
        }
      }
    }

    (async () => {
      let backoff = 500;
      while (!stopped) {
        controller = new AbortController();
        // Each connection's id is in the gateway's access line and the backend's logs, and on the
        // page (data-watch-request), so support can find a page's stream in the logs.
        const requestID = "page-" + Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
        document.body.dataset.watchRequest = requestID;
        try {
          const response = await fetch(path, {
            headers: { "Authorization": "Bearer " + token(), "Accept": "text/event-stream", "X-Request-Id": requestID },
            signal: controller.signal, cache: "no-store",
          });
          if (!response.ok) throw new ApiError(response.status, await readStatus(response));
          onState("live");
          backoff = 500;
          await readEvents(response);
          throw new Error("连接已断开");
        } catch (err) {
          if (stopped) return;
          if (err.httpStatus === 401 || err.code === 16) { toLogin(); return; }
          if (err instanceof ApiError && FINAL_CODES.has(err.code)) { onState("stopped", err); return; }
          onState("retrying", err);
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 15000);
        }
      }
    })();
    const stop = () => { stopped = true; if (controller) controller.abort(); };
    // Leaving the page must close the stream at once: over HTTP/1.1 a browser keeps at most six
    // connections per host, and a page kept in the back/forward cache (or one still unloading)
    // would otherwise hold its stream's connection open, and a few page changes later every
    // request of the next page waits for a free one. Coming back from that cache starts afresh.
    window.addEventListener("pagehide", stop);
    window.addEventListener("pageshow", (event) => { if (event.persisted) location.reload(); });
    return { stop };
  }

  // -- formatting --------------------------------------------------------------------------

  function yuan(fen) {
    const value = Number(fen || 0);
    return "¥" + (value / 100).toFixed(2);
  }

  const SOURCES = { self: "自建", mall: "商城", groupbuy_platform: "团购平台", alliance: "网站联盟", phone: "电话", sms: "短信" };
  const STATES = {
    received: "待确认", acknowledged: "已确认，待转派", assigned: "已转派", accepted: "经销商已接单",
    delivered: "已送达，待回访", visited: "已回访", cancelled: "已取消", refunded: "已退款",
  };
  const STEPS = { acknowledge: "确认", forward: "转派", accept: "接单", return_visit: "回访" };

  function clock(ms) {
    const date = new Date(Number(ms));
    return date.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: "Asia/Shanghai" });
  }

  /** "剩 3:12" / "超时 0:41" for a deadline, with the server's clock skew removed. */
  function countdown(deadlineMs, skewMs) {
    const left = Number(deadlineMs) - (Date.now() + skewMs);
    const seconds = Math.floor(Math.abs(left) / 1000);
    const text = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    return { late: left < 0, soon: left >= 0 && left < 60000, text: (left < 0 ? "超时 " : "剩 ") + text };
  }

  /** Redraws every `.countdown` on the page (each carries its deadline in data-deadline). */
  function tickCountdowns(skewMs) {
    for (const span of document.querySelectorAll(".countdown")) {
      const left = countdown(span.dataset.deadline, skewMs);
      span.textContent = left.text;
      span.classList.toggle("late", left.late);
      span.classList.toggle("soon", left.soon);
    }
  }

  /**
   * A page that follows the board stream: the header, the stream's state in `stateLine`, its
   * failure in `message`, and the countdowns redrawn every second (`skew()` gives the current
   * server-minus-our clock difference, which `apply` keeps up to date).
   */
  function followBoard({ title, path, apply, skew, stateLine, message }) {
    return requireSession().then((account) => {
      header(account, title);
      watch(path, apply, (state, err) => {
        document.body.dataset.feed = state;
        if (state === "live") { stateLine.textContent = "实时更新中"; hide(message); }
        else if (state === "retrying") stateLine.textContent = "连接中断，正在重连…";
        else { stateLine.textContent = "已停止"; show(message, err); }
      });
      setInterval(() => tickCountdowns(skew()), 1000);
    }).catch((err) => show(message, err));
  }

  /** An element with text children only (never innerHTML: names come from customers). */
  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "class") element.className = value;
      else if (name === "text") element.textContent = value;
      else element.setAttribute(name, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) element.append(child);
    }
    return element;
  }

  return { ApiError, api, login, logout, requireSession, me, token, show, hide, header, watch,
           yuan, clock, countdown, tickCountdowns, followBoard, el, ROLE_NAMES, SOURCES, STATES, STEPS };
})();
