// Uploads files as the API documents it: presign, PUT the bytes straight to the presigned URL
// (with a progress bar), confirm. Used by the assets library and the bio editor's picture.
//
// <div data-upload data-presign="…/assets/presign" data-confirm="…/assets/" [data-publish="1"]
//      [data-fill="input-id"] [data-reload]>
//   <input type="file" data-upload-input> <progress data-upload-progress hidden>
//   <p data-upload-status role="status">
// </div>

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
  } catch {
    return "";
  }
}

function errorMessage(text, status) {
  try {
    const data = JSON.parse(text);
    if (data.error && data.error.message) return data.error.message;
    if (data.message) return data.message;
  } catch {
    // not JSON: fall through
  }
  return `The server answered ${status}.`;
}

async function postForm(url, fields) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  const response = await fetch(url, {
    method: "POST",
    body,
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(errorMessage(text, response.status));
  return JSON.parse(text);
}

function putFile(url, file, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("PUT", url);
    for (const [name, value] of Object.entries(headers || {})) request.setRequestHeader(name, value);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else reject(new Error(errorMessage(request.responseText, request.status)));
    });
    request.addEventListener("error", () => {
      reject(new Error("The file could not be sent to the storage (network error, or the bucket does not allow uploads from this page)."));
    });
    request.send(file);
  });
}

/** Presign, PUT, confirm (and publish when asked); resolves to the asset object. */
export async function uploadFile(file, { presign, confirm, publish, onProgress, onStep }) {
  onStep(`Preparing ${file.name}…`);
  const presigned = await postForm(presign, { filename: file.name, content_type: file.type || "application/octet-stream" });
  onStep(`Uploading ${file.name}…`);
  await putFile(presigned.presigned_url, file, presigned.headers, onProgress);
  onStep(`Checking ${file.name}…`);
  const confirmed = await postForm(`${confirm}${presigned.asset_id}/confirm`, { publish: publish ? "1" : "" });
  return confirmed.asset;
}

function enhance(zone) {
  const input = zone.querySelector("[data-upload-input]");
  const progress = zone.querySelector("[data-upload-progress]");
  const status = zone.querySelector("[data-upload-status]");
  const say = (message, kind = "") => {
    status.textContent = message;
    status.className = `small ${kind}`.trim();
  };

  async function send(files) {
    let sent = 0;
    for (const file of files) {
      progress.hidden = false;
      progress.value = 0;
      try {
        const asset = await uploadFile(file, {
          presign: zone.dataset.presign,
          confirm: zone.dataset.confirm,
          publish: zone.dataset.publish === "1",
          onProgress: (share) => { progress.value = Math.round(share * 100); },
          onStep: (message) => say(message),
        });
        progress.value = 100;
        sent += 1;
        say(`${asset.filename} uploaded${asset.public_url ? " and published" : ""}.`, "upload-ok");
        const target = zone.dataset.fill && document.getElementById(zone.dataset.fill);
        if (target && asset.public_url) {
          if (target instanceof HTMLSelectElement && ![...target.options].some((o) => o.value === asset.public_url)) {
            target.append(new Option(asset.filename, asset.public_url));
          }
          target.value = asset.public_url;
          target.dispatchEvent(new Event("input", { bubbles: true }));
          target.dispatchEvent(new Event("change", { bubbles: true }));
        }
        zone.dispatchEvent(new CustomEvent("xqr:uploaded", { bubbles: true, detail: asset }));
      } catch (error) {
        progress.hidden = true;
        say(`${file.name}: ${error.message}`, "upload-failed");
        return;
      }
    }
    if (sent && zone.hasAttribute("data-reload")) window.location.reload();
  }

  input.addEventListener("change", () => {
    if (input.files && input.files.length) send([...input.files]);
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("drop-over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("drop-over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("drop-over");
    if (event.dataTransfer && event.dataTransfer.files.length) send([...event.dataTransfer.files]);
  });
}

for (const zone of document.querySelectorAll("[data-upload]")) enhance(zone);
