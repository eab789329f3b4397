// My Profile: OAuth apps, connected apps and the API key, through /userform/ajax (as
// rspace-web's page does). Plain DOM code: nothing is fetched from anywhere else.
"use strict";

const AJAX = "/userform/ajax";
const $ = (id) => document.getElementById(id);

async function call(method, path, body) {
  const init = { method, headers: { "X-Requested-With": "XMLHttpRequest" } };
  if (body !== undefined) init.body = body;
  const response = await fetch(AJAX + path, init);
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return response.json();
}

function errorOf(answer) {
  const messages = (answer.error && answer.error.errorMessages) || [];
  return messages.filter((m) => m).join(", ");
}

function alertBox(title, text) {
  const box = $("alert");
  box.textContent = "";
  const strong = document.createElement("strong");
  strong.textContent = title;
  box.append(strong, " ", text);
  box.hidden = false;
}

function cell(row, content) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content);
  else td.textContent = content;
  row.append(td);
  return td;
}

function button(label, onClick, title) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  if (title) { b.title = title; b.setAttribute("aria-label", title); }
  b.addEventListener("click", onClick);
  return b;
}

// -- confirmation dialog ---------------------------------------------------------------------
function confirmWith(title, bodyNodes, expected) {
  return new Promise((resolve) => {
    const dialog = $("confirmDialog");
    $("confirmTitle").textContent = title;
    $("confirmBody").replaceChildren(...bodyNodes);
    const input = $("confirmText");
    input.value = "";
    input.hidden = !expected;
    input.placeholder = expected ? "Type OAuth app name to confirm" : "";
    input.setAttribute("aria-label", input.placeholder);
    $("confirmError").hidden = true;
    const finish = (answer) => {
      dialog.close();
      $("confirmForm").onsubmit = null;
      $("cancelConfirm").onclick = null;
      resolve(answer);
    };
    $("confirmForm").onsubmit = (event) => {
      event.preventDefault();
      if (expected && input.value !== expected) { $("confirmError").hidden = false; return; }
      finish(true);
    };
    $("cancelConfirm").onclick = () => finish(false);
    dialog.showModal();
  });
}

function strong(text) { const s = document.createElement("strong"); s.textContent = text; return s; }

// -- OAuth apps ------------------------------------------------------------------------------
async function loadApps() {
  const rows = $("oAuthAppsRows");
  try {
    const answer = await call("GET", "/oAuthApps");
    rows.replaceChildren();
    for (const app of answer.data.oauthApps) {
      const row = document.createElement("tr");
      cell(row, app.appName);
      cell(row, app.clientId);
      cell(row, button("Delete", () => deleteApp(app), "Delete"));
      rows.append(row);
    }
    $("oAuthAppsError").hidden = true;
  } catch (error) {
    $("oAuthAppsError").hidden = false;
  }
}

async function deleteApp(app) {
  const body = ["Are you sure you want to delete ", strong(app.appName),
    "? All access and refresh tokens will be revoked."];
  if (!(await confirmWith("Confirm Deletion", body, app.appName))) return;
  const response = await fetch(`${AJAX}/oAuthApps/${encodeURIComponent(app.clientId)}`,
    { method: "DELETE", headers: { "X-Requested-With": "XMLHttpRequest" } });
  if (response.ok) {
    alertBox("App successfully deleted", `App with client ID ${app.clientId} was successfully deleted.`);
  } else {
    alertBox("Unable to delete app", `There was a problem deleting app with client ID ${app.clientId}.`);
  }
  await loadApps();
}

function nameProblem(name) {
  if (!/[\w-\\s]/.test(name)) return "The application name should only contain alphanumeric symbols.";
  if (name.length >= 100) return "The application name should be less than 100 symbols.";
  return null;
}

$("showOAuthApps").addEventListener("click", async () => {
  $("showOAuthApps").hidden = true;
  $("oAuthAppsTable").hidden = false;
  await loadApps();
});

$("addOAuthApp").addEventListener("click", () => {
  $("appName").value = "";
  $("appNameError").hidden = true;
  $("createAppDialog").showModal();
});
$("cancelCreateApp").addEventListener("click", () => $("createAppDialog").close());

$("createAppForm").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("appName").value;
  const problem = nameProblem(name);
  if (problem) { $("appNameError").textContent = problem; $("appNameError").hidden = false; return; }
  let answer;
  try {
    answer = await call("POST", `/oAuthApps/${encodeURIComponent(name)}`);
  } catch (error) {
    $("appNameError").textContent = "There was a problem while creating your application.";
    $("appNameError").hidden = false;
    return;
  }
  if (!answer.success) {
    $("appNameError").textContent = errorOf(answer) ||
      "There was a problem while creating your application. Please, try again later or contact support.";
    $("appNameError").hidden = false;
    return;
  }
  $("createAppDialog").close();
  $("createdClientId").value = answer.data.clientId;
  $("createdClientSecret").value = answer.data.unhashedClientSecret;
  $("createdAppDialog").showModal();
});

$("closeCreatedApp").addEventListener("click", async () => {
  $("createdClientSecret").value = "";  // shown once: gone with the dialog
  $("createdAppDialog").close();
  await loadApps();
});

// -- connected apps --------------------------------------------------------------------------
async function loadConnectedApps() {
  const answer = await call("GET", "/oAuthConnectedApps");
  const rows = $("connectedAppsRows");
  rows.replaceChildren();
  for (const app of answer.data.oauthConnectedApps) {
    const row = document.createElement("tr");
    cell(row, app.clientName);
    cell(row, app.clientId);
    cell(row, app.scope);
    cell(row, button("Disconnect", () => disconnect(app), "Disconnect"));
    rows.append(row);
  }
}

async function disconnect(app) {
  const body = ["Are you sure you want to revoke access from ", strong(app.clientName), "?"];
  if (!(await confirmWith("Confirm Disconnect", body, null))) return;
  try {
    await call("DELETE", `/oAuthConnectedApps/${encodeURIComponent(app.clientId)}`);
    alertBox("App disconnected", `App with client ID ${app.clientId} was successfully disconnected.`);
  } catch (error) {
    alertBox("Unable to disconnect app", `There was a problem disconnecting app with client ID ${app.clientId}. Please contact support if the problem persists.`);
  }
  await loadConnectedApps();
}

$("showConnectedApps").addEventListener("click", async () => {
  $("showConnectedApps").hidden = true;
  $("connectedAppsTable").hidden = false;
  await loadConnectedApps();
});

// -- API key ---------------------------------------------------------------------------------
function ageLabel(days) {
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  if (days < 7) return format.format(-days, "day");
  if (days < 31) return format.format(-Math.floor(days / 7), "week");
  if (days < 365) return format.format(-Math.floor(days / 30), "month");
  return format.format(-Math.floor(days / 365), "year");
}

function link(label, id, onClick) {
  const a = document.createElement("a");
  a.href = "#";
  a.id = id;
  a.textContent = label;
  a.addEventListener("click", (event) => { event.preventDefault(); onClick(); });
  return a;
}

function showKeyInfo(info) {
  const box = $("apiKeyInfo");
  box.replaceChildren();
  const p = (text) => { const e = document.createElement("p"); e.textContent = text; return e; };
  if (!info.enabled) { box.append(p(info.message)); return; }
  if (info.key) {
    const key = p("Key: ");
    const code = document.createElement("code");
    code.id = "apiKeyValue";
    code.textContent = info.key;
    key.append(code);
    box.append(key, p("Be sure to note the key down in a secure manner as it will not be visible again."));
  }
  if (info.revokable) {
    if (!info.key) box.append(p(`The current key was generated ${ageLabel(info.age)}.`));
    const actions = document.createElement("p");
    actions.append(link("Regenerate key", "apiKeyRegenerateBtn", askPassword), " ",
      link("Revoke key", "apiKeyRevokeBtn", revokeKey));
    box.append(actions);
  } else {
    const none = p("There is no API key set. ");
    none.append(link("Generate key", "apiKeyRegenerateBtn", askPassword));
    box.append(none);
  }
}

async function loadKeyInfo() {
  const answer = await call("GET", "/apiKeyDisplayInfo");
  showKeyInfo(answer.data);
}

function askPassword() {
  $("pwdConfirm").value = "";
  $("pwdConfirmError").hidden = true;
  $("pwdConfirmDialog").showModal();
}
$("cancelPwdConfirm").addEventListener("click", () => $("pwdConfirmDialog").close());

$("pwdConfirmForm").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = new URLSearchParams({ password: $("pwdConfirm").value });
  const answer = await call("POST", "/apiKey", body);
  if (!answer.success) {
    $("pwdConfirmError").textContent = errorOf(answer);
    $("pwdConfirmError").hidden = false;
    return;
  }
  $("pwdConfirmDialog").close();
  showKeyInfo(answer.data);
});

async function revokeKey() {
  const body = new URLSearchParams({ _method: "DELETE" });
  const count = await call("POST", "/apiKey", body);
  alertBox(count > 0 ? "Key deleted" : "Key was not deleted, please try again or ask support", "");
  await loadKeyInfo();
}

loadKeyInfo();
