// Small behaviours of airlock's pages. The Content-Security-Policy allows
// no inline scripts or event handlers, so everything is wired here, by
// data- attributes, with listeners on the document (which also covers
// what htmx swaps in later):
//
//   <button type="button" data-dialog-open="ID">   opens <dialog id="ID"> as a modal
//   <button type="button" data-dialog-close>       closes the dialog it is in
//   <form data-confirm="Really?">                  asks in a styled dialog before submitting
//                                                  (data-confirm-button names its button)
//   <input type="checkbox" data-select-all="NAME"> checks or unchecks every checkbox
//                                                  named NAME in its form (or the page),
//                                                  and follows them (indeterminate when some)
//   <details class="menu">                         closes on a click elsewhere or Escape;
//                                                  its items open to the right of the
//                                                  button when they would leave the screen
//   a dialog opens with the focus on its [autofocus] element, else its first field
//   <form method="post">                           its submit buttons are disabled while it
//                                                  submits (no double posts), unless the
//                                                  form has data-allow-resubmit
(function () {
  "use strict";

  function scopeOf(el) {
    return el.form || el.closest("form") || document;
  }

  function boxesFor(master) {
    var name = master.getAttribute("data-select-all");
    return Array.prototype.filter.call(
      scopeOf(master).querySelectorAll('input[type="checkbox"]'),
      function (b) { return b.name === name && !b.disabled; }
    );
  }

  function syncMaster(master) {
    var boxes = boxesFor(master);
    var checked = boxes.filter(function (b) { return b.checked; }).length;
    master.checked = boxes.length > 0 && checked === boxes.length;
    master.indeterminate = checked > 0 && checked < boxes.length;
  }

  // openDialog opens a dialog as a modal, with the focus on its first
  // field (or on the element marked autofocus).
  function openDialog(dialog) {
    dialog.showModal();
    var first = dialog.querySelector("[autofocus]") ||
      dialog.querySelector('textarea, input:not([type="hidden"]):not([disabled]), select');
    if (first) first.focus();
  }
  window.airlockOpenDialog = openDialog;

  function syncAllMasters(root) {
    (root || document).querySelectorAll("[data-select-all]").forEach(syncMaster);
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target instanceof Element ? ev.target : null;
    if (!t) return;

    var opener = t.closest("[data-dialog-open]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
      if (dialog && typeof dialog.showModal === "function" && !dialog.open) {
        ev.preventDefault();
        openDialog(dialog);
      }
      return;
    }

    var closer = t.closest("[data-dialog-close]");
    if (closer) {
      var d = closer.closest("dialog");
      if (d) {
        ev.preventDefault();
        d.close();
      }
      return;
    }

    // A click on a dialog's backdrop (the dialog element itself) closes it.
    if (t.tagName === "DIALOG" && t.open) {
      var r = t.getBoundingClientRect();
      if (ev.clientX < r.left || ev.clientX > r.right || ev.clientY < r.top || ev.clientY > r.bottom) {
        t.close();
      }
    }

    // Close open menus that were not clicked in.
    document.querySelectorAll("details.menu[open]").forEach(function (m) {
      if (!m.contains(t)) m.removeAttribute("open");
    });
  });

  // A menu's items hang from the right edge of its button; where the
  // button sits near the left of a narrow screen they would go off it, so
  // there they hang from its left edge instead (and never wider than the
  // screen). "toggle" does not bubble: listen as it goes down.
  document.addEventListener("toggle", function (ev) {
    var m = ev.target;
    if (!(m instanceof HTMLDetailsElement) || !m.classList.contains("menu") || !m.open) return;
    var items = m.querySelector(".menu-items");
    if (!items) return;
    items.classList.remove("menu-items-start");
    if (items.getBoundingClientRect().left < 0) items.classList.add("menu-items-start");
  }, true);

  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (m) {
      m.removeAttribute("open");
      var s = m.querySelector("summary");
      if (s) s.focus();
    });
  });

  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (!(t instanceof HTMLInputElement) || t.type !== "checkbox") return;
    if (t.hasAttribute("data-select-all")) {
      boxesFor(t).forEach(function (b) { b.checked = t.checked; });
      t.indeterminate = false;
      return;
    }
    scopeOf(t).querySelectorAll("[data-select-all]").forEach(function (m) {
      if (m.getAttribute("data-select-all") === t.name) syncMaster(m);
    });
  });


  // askConfirm asks question in a styled modal dialog (made once, reused)
  // and submits form, as submitter would have, when the person confirms.
  var confirmDialog = null;
  function askConfirm(form, question, submitter) {
    if (!confirmDialog) {
      confirmDialog = document.createElement("dialog");
      confirmDialog.className = "modal req-confirm";
      confirmDialog.id = "confirm-dialog";
      confirmDialog.setAttribute("aria-labelledby", "confirm-dialog-text");
      confirmDialog.innerHTML =
        '<div class="modal-body stack"><p id="confirm-dialog-text"></p></div>' +
        '<div class="modal-footer"><button type="button" class="button button-secondary" data-confirm-cancel>Cancel</button>' +
        '<button type="button" class="button" data-confirm-ok>OK</button></div>';
      document.body.appendChild(confirmDialog);
    }
    confirmDialog.querySelector("#confirm-dialog-text").textContent = question;
    var ok = confirmDialog.querySelector("[data-confirm-ok]");
    var cancel = confirmDialog.querySelector("[data-confirm-cancel]");
    var danger = submitter && submitter.classList.contains("button-danger");
    ok.className = "button" + (danger ? " button-danger" : "");
    ok.textContent = form.getAttribute("data-confirm-button") || (submitter && submitter.textContent.trim()) || "OK";
    ok.onclick = function () {
      confirmDialog.close();
      form.setAttribute("data-confirmed", "");
      if (form.requestSubmit) {
        form.requestSubmit(submitter || undefined);
      } else {
        form.submit();
      }
    };
    cancel.onclick = function () { confirmDialog.close(); };
    confirmDialog.showModal();
    (danger ? cancel : ok).focus();
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !form.hasAttribute("data-confirmed")) {
      ev.preventDefault();
      askConfirm(form, question, ev.submitter);
      return;
    }
    form.removeAttribute("data-confirmed");
    if ((form.method || "").toLowerCase() !== "post" || form.hasAttribute("data-allow-resubmit")) return;
    if (form.hasAttribute("hx-post") || form.hasAttribute("data-hx-post")) return; // htmx disables with hx-disabled-elt
    // Disable after the browser has taken the form's data (a disabled
    // submitter would not be sent).
    window.setTimeout(function () {
      form.classList.add("is-busy");
      form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]').forEach(function (b) {
        b.disabled = true;
        b.setAttribute("data-busy-disabled", "");
      });
    }, 0);
  });

  // Coming back with the Back button: undo the busy state.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-busy-disabled]").forEach(function (b) {
      b.disabled = false;
      b.removeAttribute("data-busy-disabled");
    });
    document.querySelectorAll("form.is-busy").forEach(function (f) { f.classList.remove("is-busy"); });
    syncAllMasters();
  });

  document.addEventListener("DOMContentLoaded", function () { syncAllMasters(); });
  document.addEventListener("htmx:afterSwap", function (ev) { syncAllMasters(ev.target); });
})();

// Workspace pages: a <dialog data-open-on-load> that htmx swaps in (the
// folder page's multi-select answer) opens as a modal.
document.addEventListener("htmx:afterSwap", function (ev) {
  var t = ev.target;
  if (!(t instanceof Element)) return;
  t.querySelectorAll("dialog[data-open-on-load]").forEach(function (d) {
    if (!d.open && typeof d.showModal === "function") d.showModal();
  });
});

// Workspace browser: tree links load only the content pane (htmx, with
// the URL pushed); afterwards the tree marks the page now shown.
document.addEventListener("htmx:pushedIntoHistory", function () {
  var tree = document.querySelector(".workspace-browser .tree");
  if (!tree) return;
  var here = window.location.pathname;
  tree.querySelectorAll("a").forEach(function (a) {
    var node = a.classList.contains("tree-node") ? a : a.closest(".tree-node");
    var current = a.pathname === here;
    if (current) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    if (node) node.classList.toggle("selected", current);
  });
});

// The review desk (request pages): keyboard shortcuts and in-page
// navigation between the request's pages.
//
//   <a data-desk-nav href>          loads the page into <main> (fetch), pushes
//                                   the URL, and moves the focus to #page-heading
//   [data-shortcut="K"]             what the key K does: a link is followed, a
//                                   button is clicked (a vote: not when pressed);
//                                   with data-focus="ID", the field ID gets the focus
//   j k n a r u c                   next, previous, next to review, approve,
//                                   request changes, undecided, comment
//   ?                               the shortcuts dialog; Esc closes dialogs
// Shortcuts never fire while typing in a field, in an open dialog, or with
// Ctrl, Alt or Meta held.
(function () {
  "use strict";

  function desk() { return document.querySelector(".req-browser"); }

  function typing(el) {
    if (!(el instanceof Element)) return false;
    return !!el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]');
  }

  function focusHeading() {
    var h = document.getElementById("page-heading");
    if (h) h.focus({ preventScroll: false });
  }

  // navigate loads url's page and puts its <main> in place of ours.
  var loading = null;
  function navigate(url, push) {
    if (loading) loading.abort();
    var ctl = new AbortController();
    loading = ctl;
    var tree = document.querySelector(".req-browser .browser-tree");
    var treeTop = tree ? tree.scrollTop : 0;
    return fetch(url, { credentials: "same-origin", signal: ctl.signal, headers: { "X-Desk-Nav": "1" } })
      .then(function (resp) {
        if (!resp.ok || resp.redirected || (resp.headers.get("Content-Type") || "").indexOf("text/html") !== 0) throw new Error("not a page");
        return resp.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.getElementById("main");
        var main = document.getElementById("main");
        if (!next || !main || !doc.querySelector(".req-browser")) throw new Error("not a request page");
        main.replaceChildren.apply(main, Array.prototype.slice.call(next.childNodes).map(function (n) { return document.importNode(n, true); }));
        document.title = doc.title;
        if (push) history.pushState({ desk: true }, "", url);
        var t = document.querySelector(".req-browser .browser-tree");
        if (t) t.scrollTop = treeTop;
        var cur = t && t.querySelector('[aria-current="page"]');
        if (cur && cur.scrollIntoView) cur.scrollIntoView({ block: "nearest" });
        if (window.htmx) window.htmx.process(main);
        window.scrollTo(0, 0);
        focusHeading();
        document.dispatchEvent(new CustomEvent("desk:navigated", { detail: { url: url } }));
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") return;
        window.location.assign(url);
      })
      .finally(function () { if (loading === ctl) loading = null; });
  }
  window.airlockDeskNavigate = navigate;

  document.addEventListener("click", function (ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    var a = ev.target instanceof Element ? ev.target.closest("a[data-desk-nav]") : null;
    if (!a || !desk() || a.origin !== window.location.origin) return;
    ev.preventDefault();
    navigate(a.href, true);
  });

  window.addEventListener("popstate", function () {
    if (desk()) navigate(window.location.href, false);
  });

  function shortcut(key) {
    return document.querySelector('.req-browser [data-shortcut="' + key + '"]');
  }

  document.addEventListener("keydown", function (ev) {
    if (!desk() || ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    if (typing(ev.target) || document.querySelector("dialog[open]")) return;
    var key = ev.key;
    if (key === "?") {
      var help = document.getElementById("shortcuts-dialog");
      if (help) { ev.preventDefault(); window.airlockOpenDialog(help); }
      return;
    }
    if ("jknaruc".indexOf(key) < 0 || key.length !== 1) return;
    var el = shortcut(key);
    if (!el && key === "n") {
      // Nothing left to vote on: the next step's action (Submit review).
      el = document.querySelector(".req-bar-actions [data-primary-action]");
      if (el) { ev.preventDefault(); el.focus(); }
      return;
    }
    if (!el) return;
    ev.preventDefault();
    var focusID = el.getAttribute("data-focus");
    if (focusID) {
      var field = document.getElementById(focusID);
      if (field) { field.scrollIntoView({ block: "center" }); field.focus(); }
      return;
    }
    if (el.tagName === "A") { navigate(el.href, true); return; }
    if (el.disabled || el.getAttribute("aria-pressed") === "true") return;
    el.click();
  });

  // A request page that loads whole starts with the focus on its heading
  // (unless the URL points into the page), as after in-page navigation.
  document.addEventListener("DOMContentLoaded", function () {
    if (!desk() || window.location.hash || (document.activeElement && document.activeElement !== document.body)) return;
    var h = document.getElementById("page-heading");
    if (h) h.focus({ preventScroll: true });
  });

  // Ctrl+Enter in a comment sends it.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" || !(ev.ctrlKey || ev.metaKey)) return;
    var t = ev.target;
    if (!(t instanceof HTMLTextAreaElement) || !t.form || !t.form.classList.contains("req-comment-form")) return;
    ev.preventDefault();
    if (t.form.requestSubmit) t.form.requestSubmit(); else t.form.submit();
  });

  // After a vote swaps the review panel in, the focus goes back to the
  // vote button of the same kind (it was replaced).
  var lastVote = null;
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var b = ev.target instanceof Element ? ev.target.querySelector("[data-shortcut]") : null;
    lastVote = b ? b.getAttribute("data-shortcut") : null;
  });
  document.addEventListener("htmx:afterSettle", function (ev) {
    if (!lastVote || !document.getElementById("req-review")) return;
    var b = document.querySelector('#req-review [data-shortcut="' + lastVote + '"]');
    if (b && document.activeElement === document.body) b.focus({ preventScroll: true });
  });
})();
