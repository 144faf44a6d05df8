// The to-do page: list, add, complete and delete tasks through /api/task/.
// Plain JavaScript with no libraries and no build step, so the page works offline and asks
// nothing of any server but this one.
"use strict";

(function () {
  const list = document.getElementById("tasks");
  const form = document.getElementById("add-form");
  const input = document.getElementById("title");
  const status = document.getElementById("status");

  function say(text) {
    status.textContent = text;
  }

  async function call(method, path, body) {
    const options = { method: method, headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try {
        const data = await response.json();
        if (data && data.error) message = data.error;
      } catch (e) { /* not JSON: keep the status line */ }
      throw new Error(message);
    }
    return response.status === 204 ? null : response.json();
  }

  function render(task) {
    const item = document.createElement("li");
    item.dataset.id = String(task.id);
    item.className = task.complete ? "done" : "";

    const check = document.createElement("input");
    check.type = "checkbox";
    check.className = "complete";
    check.checked = task.complete;
    check.setAttribute("aria-label", "Mark complete");
    check.addEventListener("change", async function () {
      check.disabled = true;
      try {
        const updated = await call("PUT", "/api/task/" + task.id + "/", { complete: check.checked });
        item.replaceWith(render(updated));
        say("");
      } catch (e) {
        check.checked = !check.checked;
        check.disabled = false;
        say("Could not update: " + e.message);
      }
    });

    const title = document.createElement("span");
    title.className = "title";
    title.textContent = task.title;

    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "delete";
    remove.textContent = "\u2715";
    remove.setAttribute("aria-label", "Delete task");
    remove.addEventListener("click", async function () {
      remove.disabled = true;
      try {
        await call("DELETE", "/api/task/" + task.id + "/");
        item.remove();
        say("");
      } catch (e) {
        remove.disabled = false;
        say("Could not delete: " + e.message);
      }
    });

    item.append(check, title, remove);
    return item;
  }

  async function load() {
    try {
      const tasks = await call("GET", "/api/task/");
      list.replaceChildren.apply(list, tasks.map(render));
      document.body.dataset.loaded = "true";
      say(tasks.length === 0 ? "Nothing to do." : "");
    } catch (e) {
      say("Could not load tasks: " + e.message);
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (text === "") {
      say("Type a title first.");
      return;
    }
    try {
      const task = await call("POST", "/api/task/", { title: text, priority: 0, complete: false });
      list.append(render(task));
      input.value = "";
      say("");
    } catch (e) {
      say("Could not add: " + e.message);
    }
  });

  load();
})();
