// Small behaviours of airlock's pages. The Content-Security-Policy allows
// no inline scripts or event handlers, so everything is wired here, by
// data- attributes, with listeners on the document (which also covers
// what htmx swaps in later):
//
//   <button type="button" data-dialog-open="ID">   opens <dialog id="ID"> as a modal
//   <button type="button" data-dialog-close>       closes the dialog it is in
//   <form data-confirm="Really?">                  asks before submitting
//   <input type="checkbox" data-select-all="NAME"> checks or unchecks every checkbox
//                                                  named NAME in its form (or the page),
//                                                  and follows them (indeterminate when some)
//   <details class="menu">                         closes on a click elsewhere or Escape
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
        dialog.showModal();
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

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      ev.preventDefault();
      return;
    }
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
