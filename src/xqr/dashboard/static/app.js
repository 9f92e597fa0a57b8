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
