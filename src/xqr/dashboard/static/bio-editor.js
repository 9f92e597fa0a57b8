// The bio page editor: link cards reordered by drag and drop or by Move up / Move down (which
// submit the form when JavaScript is off), and a live preview that follows every change: the
// form is posted into the preview's iframe, where the public renderer draws it.

const form = document.querySelector("form[data-bio-editor]");
const frame = document.getElementById("bio-preview");
const list = document.querySelector("[data-link-cards]");

let timer = null;
function refreshPreview() {
  if (!form || !frame) return;
  clearTimeout(timer);
  timer = setTimeout(() => {
    const action = form.getAttribute("action");
    const button = form.querySelector("[data-preview-button]");
    frame.setAttribute("aria-busy", "true");
    form.setAttribute("action", button ? button.getAttribute("formaction") : `${action}/preview`);
    form.setAttribute("target", "bio-preview");
    // submit() fires no submit event, so the page's own "sending…" state is not set.
    form.submit();
    form.setAttribute("action", action);
    form.removeAttribute("target");
  }, 250);
}

function renumber() {
  const cards = [...list.querySelectorAll(":scope > [data-link-card]")];
  cards.forEach((card, index) => {
    card.querySelector("[data-card-number]").textContent = String(index + 1);
    for (const element of card.querySelectorAll("[name^=links-], [id^=links-], [for^=links-], [aria-describedby]")) {
      for (const attribute of ["name", "id", "for", "aria-describedby"]) {
        const value = element.getAttribute(attribute);
        if (value) element.setAttribute(attribute, value.replace(/links-\d+-/g, `links-${index}-`));
      }
    }
    for (const button of card.querySelectorAll("button[name=link_action]")) {
      button.value = button.value.replace(/:\d+$/, `:${index}`);
      const label = button.querySelector(".sr-only");
      if (label) label.textContent = ` link ${index + 1}`;
    }
    const up = card.querySelector("[data-move=up]");
    const down = card.querySelector("[data-move=down]");
    if (up) up.disabled = index === 0;
    if (down) down.disabled = index === cards.length - 1;
  });
}

function announce(message) {
  const status = document.querySelector("[data-cards-status]");
  if (status) status.textContent = message;
}

if (form && list) {
  form.addEventListener("click", (event) => {
    const button = event.target.closest("[data-link-cards] [data-move]");
    if (!button) return;
    event.preventDefault();
    const card = button.closest("[data-link-card]");
    if (button.dataset.move === "up" && card.previousElementSibling) {
      list.insertBefore(card, card.previousElementSibling);
    } else if (button.dataset.move === "down" && card.nextElementSibling) {
      list.insertBefore(card.nextElementSibling, card);
    } else {
      return;
    }
    renumber();
    announce(`Link moved to position ${[...list.children].indexOf(card) + 1} of ${list.children.length}.`);
    const again = card.querySelector(`[data-move=${button.dataset.move}]`);
    (again && !again.disabled ? again : card.querySelector("[data-move]:not([disabled])"))?.focus();
    refreshPreview();
  });

  let dragged = null;
  list.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest(".drag-handle");
    if (handle) handle.closest("[data-link-card]").draggable = true;
  });
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("[data-link-card]");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", "link");
  });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest("[data-link-card]");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    for (const card of list.children) card.classList.toggle("drop-target", card === over);
  });
  list.addEventListener("drop", (event) => {
    const over = event.target.closest("[data-link-card]");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const cards = [...list.children];
    if (cards.indexOf(dragged) < cards.indexOf(over)) over.after(dragged);
    else over.before(dragged);
    renumber();
    announce(`Link moved to position ${[...list.children].indexOf(dragged) + 1} of ${list.children.length}.`);
    refreshPreview();
  });
  list.addEventListener("dragend", () => {
    for (const card of list.children) {
      card.classList.remove("dragging", "drop-target");
      card.draggable = false;
    }
    dragged = null;
  });
}

if (form) {
  form.addEventListener("input", refreshPreview);
  form.addEventListener("change", (event) => {
    const pick = event.target.closest("[data-avatar-pick]");
    if (pick && pick.value) {
      const address = document.getElementById("f-avatar_url");
      if (address) address.value = pick.value;
      pick.value = "";
    }
    refreshPreview();
  });
  const button = form.querySelector("[data-preview-button]");
  if (button) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      refreshPreview();
    });
  }
  // The form may hold changes the server has not saved (a link just added): show them.
  if (form.querySelector(".alert-error, [aria-invalid=true]") || document.querySelector("[data-unsaved]")) refreshPreview();
}

if (frame) frame.addEventListener("load", () => frame.removeAttribute("aria-busy"));
