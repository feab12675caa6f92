// Shared by the three people's pages (sales.html, referrer.html, statements.html): times in the
// organisation's zone, a list that pages on with the server's cursor, and one action's run with
// its buttons waiting and the server's refusal shown where the person acted. The server decides
// every right; nothing here hides or filters for security.
"use strict";

const People = (() => {
  const ZONE = "Asia/Shanghai";
  // Asia/Shanghai has no daylight saving time: UTC+8 all year, so day bounds are plain arithmetic.
  const OFFSET_MS = 8 * 3600 * 1000;
  const DAY_MS = 24 * 3600 * 1000;

  /** The end of today (the first moment of tomorrow) in the organisation's zone, Unix ms. */
  function endOfTodayMs(nowMs) {
    const local = (nowMs === undefined ? Date.now() : nowMs) + OFFSET_MS;
    return Math.floor(local / DAY_MS) * DAY_MS + DAY_MS - OFFSET_MS;
  }

  /** "12月8日 10:00" in the organisation's zone; "" for 0. */
  function when(ms) {
    const value = Number(ms || 0);
    if (!value) return "";
    return new Date(value).toLocaleString("zh-CN", { timeZone: ZONE, month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", hour12: false });
  }

  /** A `datetime-local` value ("2026-12-08T10:00") read as a time in the organisation's zone. */
  function localInputToMs(value) {
    const found = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
    if (!found) return 0;
    const [, y, mo, d, h, mi] = found.map(Number);
    return Date.UTC(y, mo - 1, d, h, mi) - OFFSET_MS;
  }

  /** The `datetime-local` value of a moment in the organisation's zone. */
  function msToLocalInput(ms) {
    return new Date(ms + OFFSET_MS).toISOString().slice(0, 16);
  }

  /** Runs `call` for a control group: its buttons wait; `done` text or the server's refusal shows in `message`. */
  async function act(container, message, call, done) {
    XSC.hide(message);
    const buttons = [...container.querySelectorAll("button")];
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const answer = await call();
      if (done) XSC.show(message, typeof done === "function" ? done(answer) : done, "info");
      return answer;
    } catch (err) {
      XSC.show(message, err);
      return undefined;
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  /**
   * A list read page by page with the server's cursor: `fetchPage(cursor)` answers
   * { items, nextCursor }; `render(item)` makes one element. A "更多" button appears while the
   * server says there is more.
   */
  function pagedList(listElement, moreButton, emptyElement, fetchPage, render) {
    let cursor = "";
    let count = 0;
    async function load(first) {
      if (first) { cursor = ""; count = 0; listElement.replaceChildren(); }
      const page = await fetchPage(cursor);
      for (const item of page.items) { listElement.append(render(item)); count += 1; }
      cursor = page.nextCursor || "";
      moreButton.classList.toggle("hidden", !cursor);
      emptyElement.classList.toggle("hidden", count > 0);
    }
    return { reload: () => load(true), more: () => load(false), get count() { return count; } };
  }

  function query(params) {
    const parts = [];
    for (const [name, value] of Object.entries(params)) {
      if (value !== "" && value !== undefined && value !== null && value !== 0) {
        parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(String(value)));
      }
    }
    return parts.length ? "?" + parts.join("&") : "";
  }

  /** A fresh idempotency key per action, so a retried request (a lost answer) does not act twice. */
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** A JSON call with an Idempotency-Key header (XSC.api sends none). */
  async function apiOnce(method, path, body, key) {
    const response = await fetch(path, {
      method, cache: "no-store",
      headers: { "Accept": "application/json", "Content-Type": "application/json",
                 "Authorization": "Bearer " + XSC.token(), "Idempotency-Key": key },
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (_) { /* no body */ }
    if (!response.ok) throw new XSC.ApiError(response.status, data);
    return data;
  }

  return { endOfTodayMs, when, localInputToMs, msToLocalInput, act, pagedList, query, newKey, apiOnce, DAY_MS };
})();
