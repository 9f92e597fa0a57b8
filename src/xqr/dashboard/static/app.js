// xQR dashboard: small enhancements on pages that work without JavaScript.

// Copy buttons: <button data-copy="input-id"> or <button data-copy-text="value">.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy], [data-copy-text]");
  if (!button) return;
  const input = button.dataset.copy ? document.getElementById(button.dataset.copy) : null;
  const value = input ? input.value : button.dataset.copyText;
  const status = button.parentElement.querySelector(".copy-status");
  if (value === undefined) return;
  let copied = false;
  try {
    await navigator.clipboard.writeText(value);
    copied = true;
  } catch {
    if (input) {
      input.select();
      copied = document.execCommand && document.execCommand("copy");
    }
  }
  if (status) {
    status.textContent = copied ? "Copied" : "Select and copy it";
    setTimeout(() => { status.textContent = ""; }, 2500);
  }
});

// Confirmation dialogs: the trigger is a link to a page that shows the dialog open; with
// JavaScript it opens the same dialog in place instead.
document.addEventListener("click", (event) => {
  const trigger = event.target.closest("[data-dialog]");
  if (trigger) {
    const dialog = document.getElementById(trigger.dataset.dialog);
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      dialog.returnFocusTo = trigger;
      dialog.showModal();
      const confirm = dialog.querySelector("button[type=submit]");
      if (confirm) confirm.focus();
    }
    return;
  }
  const close = event.target.closest("[data-close]");
  if (close) {
    const dialog = document.getElementById(close.dataset.close);
    if (dialog && dialog.open && !dialog.hasAttribute("data-open")) {
      event.preventDefault();
      dialog.close();
    }
  }
});

document.addEventListener("close", (event) => {
  const dialog = event.target;
  if (dialog instanceof HTMLDialogElement && dialog.returnFocusTo) {
    dialog.returnFocusTo.focus();
  }
}, true);

// A dialog rendered open by the server (no-JavaScript path) becomes a real modal.
for (const dialog of document.querySelectorAll("dialog[data-open]")) {
  if (typeof dialog.showModal === "function") {
    dialog.close();
    dialog.removeAttribute("data-open");
    dialog.showModal();
    const confirm = dialog.querySelector("button[type=submit]");
    if (confirm) confirm.focus();
  }
}

// Loading state: a submitted form's button says it is working, and a second click does not
// send the form again.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.submitting === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  const button = event.submitter || form.querySelector("button[type=submit]");
  if (button) button.setAttribute("aria-busy", "true");
});

// Coming back to a page from the browser's history shows its forms ready again.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-submitting]")) {
    delete form.dataset.submitting;
  }
  for (const button of document.querySelectorAll("[aria-busy=true]")) {
    button.removeAttribute("aria-busy");
  }
});

// Selecting links for an action: a "select all" box in the header and a running count.
function updateSelection(form) {
  const boxes = [...form.querySelectorAll("input[name=ids]")];
  const chosen = boxes.filter((box) => box.checked).length;
  const count = form.querySelector("[data-selected-count]");
  if (count) count.textContent = chosen ? `(${chosen} selected)` : "";
  const all = form.querySelector("[data-select-all]");
  if (all) {
    all.checked = chosen > 0 && chosen === boxes.length;
    all.indeterminate = chosen > 0 && chosen < boxes.length;
  }
}

function enhanceSelection(root) {
  for (const form of root.querySelectorAll("form#bulk")) {
    const header = form.querySelector("th.select");
    if (header && !header.querySelector("[data-select-all]")) {
      const all = document.createElement("input");
      all.type = "checkbox";
      all.dataset.selectAll = "";
      all.setAttribute("aria-label", "Select every link on this page");
      header.append(all);
    }
    updateSelection(form);
  }
}

document.addEventListener("change", (event) => {
  const form = event.target.closest("form#bulk");
  if (!form) return;
  if (event.target.matches("[data-select-all]")) {
    for (const box of form.querySelectorAll("input[name=ids]")) box.checked = event.target.checked;
  }
  updateSelection(form);
});

enhanceSelection(document);
document.addEventListener("htmx:afterSettle", (event) => enhanceSelection(event.target));

// Routing rules: reorder by drag and drop, or by the Move up / Move down buttons (which
// submit the form when JavaScript is off). Field names carry each rule's position.
function renumberRules(list) {
  const cards = [...list.querySelectorAll(":scope > [data-rule]")];
  cards.forEach((card, index) => {
    card.querySelector("[data-rule-number]").textContent = String(index + 1);
    for (const element of card.querySelectorAll("[name^=rules-], [id^=rules-], [for^=rules-], [aria-describedby]")) {
      for (const attribute of ["name", "id", "for", "aria-describedby"]) {
        const value = element.getAttribute(attribute);
        if (value) element.setAttribute(attribute, value.replace(/rules-\d+-/g, `rules-${index}-`));
      }
    }
    for (const button of card.querySelectorAll("button[name=rule_action]")) {
      button.value = button.value.replace(/:\d+$/, `:${index}`);
      const label = button.querySelector(".sr-only");
      if (label) label.textContent = ` rule ${index + 1}`;
    }
    const up = card.querySelector("[data-move=up]");
    const down = card.querySelector("[data-move=down]");
    if (up) up.disabled = index === 0;
    if (down) down.disabled = index === cards.length - 1;
  });
}

function announce(list, message) {
  const status = list.parentElement.querySelector("[data-rules-status]");
  if (status) status.textContent = message;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-rules] [data-move]");
  if (!button) return;
  event.preventDefault();
  const card = button.closest("[data-rule]");
  const list = card.parentElement;
  if (button.dataset.move === "up" && card.previousElementSibling) {
    list.insertBefore(card, card.previousElementSibling);
  } else if (button.dataset.move === "down" && card.nextElementSibling) {
    list.insertBefore(card.nextElementSibling, card);
  } else {
    return;
  }
  renumberRules(list);
  const position = [...list.children].indexOf(card) + 1;
  announce(list, `Rule moved to position ${position} of ${list.children.length}.`);
  const again = card.querySelector(`[data-move=${button.dataset.move}]`);
  (again && !again.disabled ? again : card.querySelector("[data-move]:not([disabled])"))?.focus();
});

for (const list of document.querySelectorAll("[data-rules]")) {
  let dragged = null;
  // Only the handle starts a drag, so selecting text in a rule's fields still works.
  list.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest(".drag-handle");
    if (handle) handle.closest("[data-rule]").draggable = true;
  });
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("[data-rule]");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", "rule");
  });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest("[data-rule]");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    for (const card of list.children) card.classList.toggle("drop-target", card === over);
  });
  list.addEventListener("drop", (event) => {
    const over = event.target.closest("[data-rule]");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const cards = [...list.children];
    if (cards.indexOf(dragged) < cards.indexOf(over)) over.after(dragged);
    else over.before(dragged);
    renumberRules(list);
    announce(list, `Rule moved to position ${[...list.children].indexOf(dragged) + 1}.`);
  });
  list.addEventListener("dragend", () => {
    for (const card of list.children) {
      card.classList.remove("dragging", "drop-target");
      card.draggable = false;
    }
    dragged = null;
  });
}

// Labels typed as "a, b, c" are shown as chips that can be removed one by one.
for (const input of document.querySelectorAll("input[data-chips]")) {
  const chips = document.createElement("div");
  chips.className = "chips";
  input.closest(".field").append(chips);
  const draw = () => {
    chips.replaceChildren();
    const labels = input.value.split(",").map((label) => label.trim()).filter(Boolean);
    labels.forEach((label, index) => {
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.textContent = label;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `Remove label ${label}`);
      remove.addEventListener("click", () => {
        labels.splice(index, 1);
        input.value = labels.join(", ");
        draw();
        input.focus();
      });
      chip.append(remove);
      chips.append(chip);
    });
  };
  input.addEventListener("input", draw);
  draw();
}

// The live QR code: the server renders it again as the design controls change.
for (const controls of document.querySelectorAll("[data-qr-controls]")) {
  const image = document.getElementById("qr-preview");
  const refresh = () => {
    const query = new URLSearchParams(new FormData(controls));
    query.delete("download");
    query.set("format", "svg");
    image.setAttribute("aria-busy", "true");
    image.src = `${controls.action}?${query}`;
  };
  image.addEventListener("load", () => image.removeAttribute("aria-busy"));
  controls.addEventListener("input", refresh);
  controls.addEventListener("change", refresh);
}

// The QR designer's preview follows its controls.
for (const form of document.querySelectorAll("[data-designer]")) {
  const image = document.getElementById("qr-preview");
  const names = ["foreground", "background", "error_correction", "dot_style", "corner_style", "logo_url"];
  const refresh = () => {
    const values = new FormData(form);
    const query = new URLSearchParams();
    for (const name of names) if (values.get(name)) query.set(name, values.get(name));
    image.setAttribute("aria-busy", "true");
    image.src = `${image.dataset.preview}?${query}`;
  };
  image.addEventListener("load", () => image.removeAttribute("aria-busy"));
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
}
